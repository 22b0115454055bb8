"""Intake service: one write API for every channel; emits ticket.filed."""
from libs.events import TICKETS
from libs.events.topics import WISHES
from libs.pii import get_vault
from libs.runtime import service_app
from libs.settings import Settings
from services.intake.api import router
from services.intake.boundaries import following_boundaries
from services.intake.category_api import router as category_router
from services.intake.attachments_api import router as attachments_router
from services.intake.channels import ROUTERS
from services.intake.audit import router as audit_router, with_audit
from services.intake.consumers import HANDLERS
from services.intake.privacy import router as privacy_router
from services.intake.story_api import router as story_router
from services.intake.grids_api import public_router as grid_map_router
from services.intake.grids_api import router as grids_router

_create_app = following_boundaries(service_app(
    __file__, [*ROUTERS, router, category_router, attachments_router, grids_router, grid_map_router, privacy_router,
     story_router, audit_router], with_audit(HANDLERS),  # 审计: one append-only line per ticket event
    title="Whistle intake 吹哨受理",
    description="Residents, grid workers and hotline operators file tickets and micro-wishes here.",
    topics=(TICKETS, WISHES),  # wishes: 圆梦 photos join the wish's ticket (WishFulfilled)
))


def create_app(settings: Settings | None = None):  # noqa: ANN201 - a FastAPI app
    """The intake app; refuses to start with the development PII keys when WHISTLE_ENV=production (libs/pii.py)."""
    get_vault()
    return _create_app(settings)
