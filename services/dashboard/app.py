"""Dashboard service: read models built only from events; rates, rankings, escalations."""
from pathlib import Path

from fastapi import FastAPI

from libs.events import REPORTS, TICKETS
from services.dashboard.api import router
from services.dashboard.consumers import HANDLERS


def create_app() -> FastAPI:
    from libs.runtime import build_app

    return build_app(
        service="dashboard",
        title="Whistle dashboard 数据大屏",
        description="Response, closure and satisfaction rates (三率), rankings and escalations, computed from events.",
        routers=[router],
        handlers=HANDLERS,
        migrations_dir=Path(__file__).parent / "migrations",
        topics=(TICKETS, REPORTS),
    )
