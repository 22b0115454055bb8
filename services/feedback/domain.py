"""Feedback's rules: who may rate, and whether a rating closes the ticket or reopens it (重办). No I/O."""
from __future__ import annotations

from enum import StrEnum

from libs.statemachine import DomainError, check_transition


class FeedbackStatus(StrEnum):
    open = "open"  # filed, not yet resolved
    awaiting_rating = "awaiting_rating"
    reopened = "reopened"
    closed = "closed"


F = FeedbackStatus
FEEDBACK_TRANSITIONS: dict[FeedbackStatus, frozenset[FeedbackStatus]] = {
    F.open: frozenset({F.awaiting_rating, F.closed}),
    F.awaiting_rating: frozenset({F.closed, F.reopened}),
    F.reopened: frozenset({F.awaiting_rating}),
    F.closed: frozenset(),
}

MAX_REOPENS = 1  # 重办 once; a second failure goes to joint handling (联席办) with the deadline issue


def rating_outcome(current: FeedbackStatus, *, satisfaction: str, solved: bool, reopen_count: int) -> FeedbackStatus:
    """Unsatisfied and not solved reopens the ticket once; every other rating closes it."""
    if current != F.awaiting_rating:
        raise DomainError(f"ticket is {current.value}; only a resolved ticket awaiting rating can be rated")
    if satisfaction == "unsatisfied" and not solved and reopen_count < MAX_REOPENS:
        return check_transition(FEEDBACK_TRANSITIONS, "ticket", current, F.reopened)
    return check_transition(FEEDBACK_TRANSITIONS, "ticket", current, F.closed)
