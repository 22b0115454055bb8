"""Dispatch service: the community's console; consumes ticket.filed, emits dispatched / settled_on_spot."""
from pathlib import Path

from fastapi import FastAPI

from services.dispatch.api import router
from services.dispatch.consumers import HANDLERS


def create_app() -> FastAPI:
    from libs.runtime import build_app

    return build_app(
        service="dispatch",
        title="Whistle dispatch 社区转哨",
        description="Community staff triage tickets: dispatch to a department (派单) or settle on the spot (即办).",
        routers=[router],
        handlers=HANDLERS,
        migrations_dir=Path(__file__).parent / "migrations",
    )
