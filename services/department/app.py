"""Department service: the department's worklist; consumes ticket.dispatched, emits accepted / resolved / returned."""
from pathlib import Path

from fastapi import FastAPI

from services.department.api import router
from services.department.consumers import HANDLERS


def create_app() -> FastAPI:
    from libs.runtime import build_app

    return build_app(
        service="department",
        title="Whistle department 部门办哨",
        description="Department staff sign for tickets (签收), resolve them (办结) or return misrouted ones (退单).",
        routers=[router],
        handlers=HANDLERS,
        migrations_dir=Path(__file__).parent / "migrations",
    )
