"""回访 (callback): when the rating window passes without a rating, the ticket's workflow publishes CallbackRequested
and the ticket waits here, in its community's callback queue, until staff have called the resident. An answered
call records the resident's verdict as a rating (TicketRated via "callback") and closes or reopens the ticket like
the resident's own rating; an unanswered one is counted, and after FEEDBACK_CALLBACK_ATTEMPTS unanswered calls the
ticket closes as `callback_unreachable`: unrated, never counted as satisfied. The number to call is revealed (and the
reveal recorded) by intake's `POST /tickets/{id}/contact/reveal`."""
from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlmodel import Session, col, select

from libs.auth.principal import WIDE_ROLES, Principal, street_scope
from libs.events import Actor, CallbackAttempted, CallbackRequested, TicketClosed
from libs.messaging import record_event
from libs.statemachine import DomainError, Rejected
from services.feedback.commands import _load, _now, rate_ticket
from services.feedback.domain import FeedbackStatus, after_unreachable_call
from services.feedback.models import CallbackRequest, FeedbackTicket, RatingRequest

UNREACHABLE = "callback_unreachable"


class CallbackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", extra="ignore")

    callback_attempts: int = 3  # unanswered 回访 calls before the ticket closes unrated


@lru_cache
def get_callback_settings() -> CallbackSettings:
    return CallbackSettings()


def on_callback_requested(session: Session, event: CallbackRequested) -> None:
    """The rating window passed unrated: the ticket joins its community's callback queue."""
    ticket = session.get(FeedbackTicket, event.ticket_id)
    if ticket is None or ticket.status != FeedbackStatus.awaiting_rating.value:
        return  # rated (or closed) meanwhile: nobody needs to call
    ticket.status = FeedbackStatus.awaiting_callback.value
    ticket.callback_due = event.deadline
    ticket.updated_at = _now()
    session.add(ticket)


def callback_queue(session: Session, *, principal: Principal, limit: int, offset: int = 0) -> list[FeedbackTicket]:
    """待回访: the community's tickets waiting for a call, the most urgent first; a supervisor their street's, the
    district roles all."""
    query = select(FeedbackTicket).where(FeedbackTicket.status == FeedbackStatus.awaiting_callback.value)
    if principal.role not in WIDE_ROLES:
        query = query.where(FeedbackTicket.community_id == principal.community_id)
    elif (street := street_scope(principal)) is not None:
        query = query.where(col(FeedbackTicket.community_id).in_(street))
    query = query.order_by(col(FeedbackTicket.callback_due), col(FeedbackTicket.id)).offset(offset).limit(limit)
    return list(session.exec(query))


def record_call(session: Session, *, principal: Principal, ticket_id: str, body: CallbackRequest) -> FeedbackTicket:
    """One call: answered → the resident's verdict rates the ticket; not answered → counted, and closed unrated after
    the last attempt. Only a ticket waiting for its 回访 can be called (409 otherwise)."""
    ticket = _load(session, principal, ticket_id, lock=True)
    if ticket.status != FeedbackStatus.awaiting_callback.value:
        raise DomainError(f"ticket is {ticket.status}; only a ticket waiting for its 回访 call can be called")
    actor = Actor(**principal.actor())
    if body.reached:
        missing = [name for name in ("satisfaction", "solved") if getattr(body, name) is None]
        if missing:
            raise Rejected(f"{missing[0]}: an answered call records the resident's verdict (满意度 and 是否解决)")
        attempt = ticket.callback_attempts + 1
        record_event(session, CallbackAttempted(ticket_id=ticket.id, actor=actor, community_id=ticket.community_id,
                                                reached=True, attempt=attempt, note=body.comment))
        verdict = RatingRequest(satisfaction=body.satisfaction, solved=body.solved, comment=body.comment)
        return rate_ticket(session, principal=principal, ticket_id=ticket_id, body=verdict)
    ticket.callback_attempts += 1
    record_event(session, CallbackAttempted(ticket_id=ticket.id, actor=actor, community_id=ticket.community_id,
                                            reached=False, attempt=ticket.callback_attempts, note=body.comment))
    if after_unreachable_call(ticket.callback_attempts, get_callback_settings().callback_attempts) == FeedbackStatus.closed:
        ticket.status, ticket.closed_outcome = FeedbackStatus.closed.value, UNREACHABLE
        record_event(session, TicketClosed(ticket_id=ticket.id, actor=actor, outcome=UNREACHABLE))
    ticket.updated_at = _now()
    session.add(ticket)
    return ticket
