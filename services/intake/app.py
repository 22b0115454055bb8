"""Intake service: one write API for every channel; emits ticket.filed."""
from pathlib import Path

from fastapi import FastAPI

from services.intake.api import router
from services.intake.consumers import HANDLERS


def create_app() -> FastAPI:
    from libs.runtime import build_app

    return build_app(
        service="intake",
        title="Whistle intake 吹哨受理",
        description="Residents, grid workers and hotline operators file tickets and micro-wishes here.",
        routers=[router],
        handlers=HANDLERS,
        migrations_dir=Path(__file__).parent / "migrations",
    )
