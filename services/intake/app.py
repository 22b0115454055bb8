"""Intake service: one write API for every channel; emits ticket.filed."""
from libs.runtime import service_app
from services.intake.api import router
from services.intake.category_api import router as category_router
from services.intake.attachments_api import router as attachments_router
from services.intake.channels import ROUTERS
from services.intake.consumers import HANDLERS

create_app = service_app(
    __file__, [*ROUTERS, router, category_router, attachments_router], HANDLERS,
    title="Whistle intake 吹哨受理",
    description="Residents, grid workers and hotline operators file tickets and micro-wishes here.",
)
