"""Department service: the department's worklist; consumes ticket.dispatched, emits accepted / resolved / returned."""
from libs.runtime import service_app
from services.department.api import router
from services.department.consumers import HANDLERS
from services.department.summons_api import router as summons_router

create_app = service_app(
    __file__, [router, summons_router], HANDLERS,
    title="Whistle department 部门办哨",
    description="Department staff sign for tickets (签收), resolve them (办结) or return misrouted ones (退单).",
)
