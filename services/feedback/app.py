"""Feedback service: ratings, close and reopen; consumes filed / resolved / settled, emits rated / closed / reopened."""
from pathlib import Path

from fastapi import FastAPI

from services.feedback.api import router
from services.feedback.consumers import HANDLERS


def create_app() -> FastAPI:
    from libs.runtime import build_app

    return build_app(
        service="feedback",
        title="Whistle feedback 评价回访",
        description="Residents rate resolved tickets; an unsatisfied, unsolved rating reopens the ticket (重办), the second time for joint handling (联席办).",
        routers=[router],
        handlers=HANDLERS,
        migrations_dir=Path(__file__).parent / "migrations",
    )
