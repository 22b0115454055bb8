"""Wish service: the micro-wish wall (心愿墙), volunteers who report to their community (在职党员报到), points."""
from libs.events import TICKETS
from libs.events.topics import WISHES
from libs.runtime import service_app
from services.wishes.catalogue_api import router as rewards_router
from services.wishes.api import router
from services.wishes.consumers import HANDLERS
from services.wishes.points_api import router as points_router
from services.wishes.projects_api import router as projects_router
from services.wishes.volunteers_api import router as volunteers_router

create_app = service_app(
    __file__, [router, volunteers_router, points_router, rewards_router, projects_router], HANDLERS,
    title="Whistle wishes 微心愿",
    description="寻梦—揽梦—圆梦: wishes filed through any channel are reviewed by the community, claimed and fulfilled by "
    "volunteers, confirmed by the wisher; claims expire by a Temporal timer; points and time-bank hours are a ledger.",
    topics=(TICKETS, WISHES),
)
