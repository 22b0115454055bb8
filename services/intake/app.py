"""Intake service: one write API for every channel; emits ticket.filed."""
from libs.runtime import service_app
from services.intake.api import router
from services.intake.boundaries import following_boundaries
from services.intake.category_api import router as category_router
from services.intake.attachments_api import router as attachments_router
from services.intake.channels import ROUTERS
from services.intake.consumers import HANDLERS
from services.intake.grids_api import router as grids_router

create_app = following_boundaries(service_app(
    __file__, [*ROUTERS, router, category_router, attachments_router, grids_router], HANDLERS,
    title="Whistle intake 吹哨受理",
    description="Residents, grid workers and hotline operators file tickets and micro-wishes here.",
))
