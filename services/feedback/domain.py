"""Feedback's rules: who may rate, and whether a rating closes the ticket or reopens it (重办). No I/O."""
from __future__ import annotations

from enum import StrEnum

from libs.statemachine import DomainError, check_transition


class FeedbackStatus(StrEnum):
    open = "open"  # filed, not yet resolved
    awaiting_rating = "awaiting_rating"
    awaiting_callback = "awaiting_callback"  # 回访: the rating window passed unrated; staff call the resident
    reopened = "reopened"
    closed = "closed"


F = FeedbackStatus
FEEDBACK_TRANSITIONS: dict[FeedbackStatus, frozenset[FeedbackStatus]] = {
    F.open: frozenset({F.awaiting_rating, F.closed}),
    F.awaiting_rating: frozenset({F.closed, F.reopened, F.awaiting_callback}),
    F.awaiting_callback: frozenset({F.closed, F.reopened}),
    F.reopened: frozenset({F.awaiting_rating, F.closed}),
    F.closed: frozenset(),
}

MAX_REOPENS = 2  # 重办 once; the second failure reopens for joint handling (联席办); the third closes
JOINT_HANDLING_FROM = 2  # the reopen that the street handles with every department at the table


def rating_outcome(current: FeedbackStatus, *, satisfaction: str, solved: bool, reopen_count: int) -> FeedbackStatus:
    """Unsatisfied and not solved reopens the ticket (twice at most); every other rating closes it. A resident who
    rates late, while the ticket waits for its 回访 call, is heard like one who rated in time."""
    if current not in (F.awaiting_rating, F.awaiting_callback):
        raise DomainError(f"ticket is {current.value}; only a resolved ticket awaiting rating can be rated")
    if satisfaction == "unsatisfied" and not solved and reopen_count < MAX_REOPENS:
        return check_transition(FEEDBACK_TRANSITIONS, "ticket", current, F.reopened)
    return check_transition(FEEDBACK_TRANSITIONS, "ticket", current, F.closed)


def needs_joint_handling(reopen_count: int) -> bool:
    """The second 重办 is no longer one department's job: the street convenes 联席办."""
    return reopen_count >= JOINT_HANDLING_FROM


def closed_by_event(current: FeedbackStatus) -> FeedbackStatus | None:
    """A TicketClosed / TicketMerged from elsewhere (rating window expired, merged, withdrawn) ends rating; None if already closed."""
    if current == F.closed:
        return None
    return check_transition(FEEDBACK_TRANSITIONS, "ticket", current, F.closed)


def after_unreachable_call(attempts: int, max_attempts: int) -> FeedbackStatus:
    """回访 not answered: keep trying until `max_attempts` calls went unanswered, then close it unrated (never as
    satisfied: the rates count it apart)."""
    return F.closed if attempts >= max_attempts else F.awaiting_callback
