"""Feedback use cases: rate (评价), then close or reopen (重办)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, col, select

from libs.auth.principal import Principal, check_scope, street_scope
from libs.events import (
    Actor,
    TicketAssignedToCommunity,
    TicketClosed,
    TicketFiled,
    TicketMerged,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketSettledOnSpot,
)
from libs.messaging import record_event
from libs.statemachine import NotFound, check_transition
from libs.ticket.table import find_ticket
from services.feedback.domain import FEEDBACK_TRANSITIONS, FeedbackStatus, closed_by_event, needs_joint_handling, rating_outcome
from services.feedback.models import FeedbackRating, FeedbackTicket, RatingRequest


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _load(session: Session, principal: Principal, ticket_id: str, *, lock: bool = False) -> FeedbackTicket:
    ticket = find_ticket(session, FeedbackTicket, ticket_id, lock=lock)
    if principal.role == "resident":
        if ticket.reporter_id != principal.sub:
            raise NotFound(f"ticket {ticket_id!r} not found")
    else:
        check_scope(principal, community_id=ticket.community_id)
    return ticket


def rate_ticket(session: Session, *, principal: Principal, ticket_id: str, body: RatingRequest) -> FeedbackTicket:
    """The resident (or community staff on a 回访 call) rates; the ticket closes, is reopened, or goes to 联席办."""
    ticket = _load(session, principal, ticket_id, lock=True)
    outcome = rating_outcome(
        FeedbackStatus(ticket.status), satisfaction=body.satisfaction, solved=body.solved, reopen_count=ticket.reopen_count
    )
    now = _now()
    actor = Actor(**principal.actor())
    session.add(FeedbackRating(**body.model_dump(), ticket_id=ticket.id, rated_by=principal.sub, rated_at=now))
    via = "resident" if principal.role == "resident" else "callback"  # staff record what the resident said on the phone
    record_event(session, TicketRated(**body.model_dump(), ticket_id=ticket.id, actor=actor, via=via))
    if outcome == FeedbackStatus.reopened:
        ticket.reopen_count += 1
        record_event(
            session,
            TicketReopened(
                ticket_id=ticket.id,
                actor=actor,
                community_id=ticket.community_id,
                reason=body.comment or "居民评价不满意且问题未解决",
                reopen_count=ticket.reopen_count,
                joint_handling=needs_joint_handling(ticket.reopen_count),
            ),
        )
    else:
        ticket.closed_outcome = "rated"
        record_event(session, TicketClosed(ticket_id=ticket.id, actor=actor, outcome="rated"))
    ticket.status = outcome.value
    ticket.updated_at = now
    session.add(ticket)
    return ticket


def awaiting_rating(session: Session, *, principal: Principal, limit: int) -> list[FeedbackTicket]:
    query = select(FeedbackTicket).where(FeedbackTicket.status == FeedbackStatus.awaiting_rating.value)
    if principal.role == "resident":
        query = query.where(FeedbackTicket.reporter_id == principal.sub)
    elif principal.role == "community_staff":
        query = query.where(FeedbackTicket.community_id == principal.community_id)
    elif (street := street_scope(principal)) is not None:  # a supervisor: their street's
        query = query.where(col(FeedbackTicket.community_id).in_(street))
    return list(session.exec(query.order_by(col(FeedbackTicket.resolved_at)).limit(limit)))


def get_ticket(session: Session, *, principal: Principal, ticket_id: str) -> FeedbackTicket:
    return _load(session, principal, ticket_id)


# --- event handlers ---


def on_ticket_filed(session: Session, event: TicketFiled) -> None:
    if session.get(FeedbackTicket, event.ticket_id) is None:
        session.add(
            FeedbackTicket(
                **event.model_dump(include={"community_id", "reporter_id", "title"}),
                id=event.ticket_id,
                status=FeedbackStatus.open.value,
                updated_at=_now(),
            )
        )


def on_assigned_to_community(session: Session, event: TicketAssignedToCommunity) -> None:
    """街道分拨: the community the street chose rates and revisits the ticket from now on."""
    ticket = session.get(FeedbackTicket, event.ticket_id)
    if ticket is not None:
        ticket.community_id = event.community_id
        ticket.updated_at = _now()
        session.add(ticket)


def on_ticket_resolved(session: Session, event: TicketResolved) -> None:
    """办结: now the resident is asked to rate the department's work."""
    _ask_for_rating(session, event, department_id=event.department_id)


def on_ticket_settled(session: Session, event: TicketSettledOnSpot) -> None:
    """即办: now the resident is asked to rate the community's work."""
    _ask_for_rating(session, event, department_id=None)


def _ask_for_rating(session: Session, event: TicketResolved | TicketSettledOnSpot, *, department_id: str | None) -> None:
    ticket = session.get(FeedbackTicket, event.ticket_id)
    if ticket is None:
        return
    ticket.status = check_transition(
        FEEDBACK_TRANSITIONS, "ticket", FeedbackStatus(ticket.status), FeedbackStatus.awaiting_rating
    ).value
    ticket.department_id = department_id
    ticket.resolution_note = event.note
    ticket.resolved_at = event.occurred_at
    ticket.updated_at = _now()
    session.add(ticket)


def on_ticket_closed(session: Session, event: TicketClosed) -> None:
    """Closed elsewhere (rating window expired): no rating is asked any more."""
    _stop_asking(session, event.ticket_id, outcome=event.outcome)


def on_ticket_merged(session: Session, event: TicketMerged) -> None:
    """Merged into another ticket: its resident rates that one."""
    _stop_asking(session, event.ticket_id, outcome="merged")


def _stop_asking(session: Session, ticket_id: str, *, outcome: str) -> None:
    ticket = session.get(FeedbackTicket, ticket_id)
    if ticket is None:
        return
    target = closed_by_event(FeedbackStatus(ticket.status))
    if target is None:
        return
    ticket.status = target.value
    ticket.closed_outcome = outcome
    ticket.updated_at = _now()
    session.add(ticket)
