"""Dispatch service: the community's console; consumes ticket.filed, emits dispatched / settled_on_spot."""
from pathlib import Path

from fastapi import FastAPI

from services.dispatch.api import admin, router, supervision
from services.dispatch.consumers import HANDLERS


def create_app() -> FastAPI:
    from libs.runtime import build_app

    return build_app(
        service="dispatch",
        title="Whistle dispatch 社区转哨",
        description=(
            "Community staff triage tickets: dispatch to a department (派单), settle on the spot (即办), merge duplicates "
            "(合并); supervisors suspend tickets and decide extensions (延期); admins publish the SLA policy and calendar."
        ),
        routers=[router, supervision, admin],
        handlers=HANDLERS,
        migrations_dir=Path(__file__).parent / "migrations",
    )
