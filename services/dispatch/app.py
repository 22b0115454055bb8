"""Dispatch service: the community's console; consumes ticket.filed, emits dispatched / settled_on_spot."""
from libs.runtime import service_app
from libs.settings import Settings
from services.dispatch import ops_metrics
from services.dispatch.api import admin, router, supervision
from services.dispatch.consumers import HANDLERS
from services.dispatch.directory_admin import admin_router as directory_admin, reference_router
from services.dispatch.summons_api import summons

_create_app = service_app(
    __file__, [router, supervision, admin, summons, directory_admin, reference_router], HANDLERS,
    title="Whistle dispatch 社区转哨",
    description=(
        "Community staff triage tickets: dispatch to a department (派单), settle on the spot (即办), merge duplicates "
        "(合并); supervisors suspend tickets and decide extensions (延期); admins publish the SLA policy and calendar."
    ),
)


def create_app(settings: Settings | None = None):  # noqa: ANN201 - a FastAPI app
    """The dispatch app; its /metrics also counts the overdue tickets per street and community (ops_metrics.py)."""
    app = _create_app(settings)
    ops_metrics.watch(app.state.runtime)
    return app
