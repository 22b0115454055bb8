"""Dashboard service: read models built only from events; rates, rankings, escalations."""
from libs.events import REPORTS, TICKETS
from libs.events.topics import POINTS, WISHES
from libs.runtime import service_app
from services.dashboard.api import router
from services.dashboard.api_more import router as more
from services.dashboard.consumers import HANDLERS
from services.dashboard.summons_api import router as summons
from services.dashboard.report_api import router as report
from services.dashboard.wishes_api import router as wishes

create_app = service_app(
    __file__, [router, more, summons, wishes, report], HANDLERS,
    title="Whistle dashboard 数据大屏",
    description="Response, closure and satisfaction rates (三率), rankings and escalations, computed from events.",
    topics=(TICKETS, REPORTS, WISHES, POINTS),  # 微心愿 and points: wishes.py
)
