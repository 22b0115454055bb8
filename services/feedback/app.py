"""Feedback service: ratings, close and reopen; consumes filed / resolved / settled, emits rated / closed / reopened."""
from libs.runtime import service_app
from services.feedback.api import router
from services.feedback.consumers import HANDLERS

create_app = service_app(
    __file__, [router], HANDLERS,
    title="Whistle feedback 评价回访",
    description="Residents rate resolved tickets; an unsatisfied, unsolved rating reopens the ticket (重办), the second time for joint handling (联席办).",
)
