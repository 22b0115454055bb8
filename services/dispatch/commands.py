"""Dispatch use cases: triage by the community (派单, 即办), and the events that keep its view current."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, col, select

from libs.auth import Principal, require_scope
from libs.directory import get_directory
from libs.events import (
    Actor,
    Event,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketReturned,
    TicketSettledOnSpot,
)
from libs.messaging import record_event
from libs.statemachine import NotFound
from libs.statemachine.ticket import STATUS_AFTER_EVENT, TicketStatus
from services.dispatch import domain
from services.dispatch.models import DispatchReturn, DispatchTicket


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _load(session: Session, principal: Principal, ticket_id: str) -> DispatchTicket:
    ticket = session.get(DispatchTicket, ticket_id, with_for_update=True)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id!r} not found")
    require_scope(principal, community_id=ticket.community_id)
    return ticket


def dispatch_ticket(
    session: Session, *, principal: Principal, ticket_id: str, department_id: str, note: str | None
) -> DispatchTicket:
    """派单 (or 改派 after a return): stage TicketDispatched for the department."""
    ticket = _load(session, principal, ticket_id)
    ticket.status = domain.dispatch(TicketStatus(ticket.status), get_directory(), department_id).value
    ticket.department_id = department_id
    ticket.escalation_level = 0  # the dispatch stage is over; its escalations are settled
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(
        session,
        TicketDispatched(
            ticket_id=ticket.id,
            actor=Actor(**principal.actor()),
            community_id=ticket.community_id,
            department_id=department_id,
            note=note,
            kind=ticket.kind,
            title=ticket.title,
            description=ticket.description,
            category=ticket.category,
            urgency=ticket.urgency,
            address=ticket.address,
            grid_id=ticket.grid_id,
            anonymous=ticket.anonymous,
            reporter_phone_masked=ticket.reporter_phone_masked,
        ),
    )
    return ticket


def settle_on_spot(session: Session, *, principal: Principal, ticket_id: str, note: str) -> DispatchTicket:
    """即办件当场结: stage TicketSettledOnSpot; the resident rates it next."""
    ticket = _load(session, principal, ticket_id)
    ticket.status = domain.settle_on_spot(TicketStatus(ticket.status)).value
    ticket.settle_note = note
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(
        session,
        TicketSettledOnSpot(
            ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=ticket.community_id, note=note
        ),
    )
    return ticket


def list_tickets(
    session: Session, *, principal: Principal, community_id: str | None, statuses: list[str], limit: int, offset: int
) -> list[DispatchTicket]:
    if principal.role == "community_staff":
        community_id = community_id or principal.community_id
        require_scope(principal, community_id=community_id)
    query = select(DispatchTicket)
    if community_id:
        query = query.where(DispatchTicket.community_id == community_id)
    if statuses:
        query = query.where(col(DispatchTicket.status).in_(statuses))
    query = query.order_by(col(DispatchTicket.escalation_level).desc(), col(DispatchTicket.filed_at)).offset(offset).limit(limit)
    return list(session.exec(query))


def get_ticket(session: Session, *, principal: Principal, ticket_id: str) -> DispatchTicket:
    ticket = session.get(DispatchTicket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id!r} not found")
    require_scope(principal, community_id=ticket.community_id)
    return ticket


# --- event handlers (run inside the idempotent inbox transaction) ---


def on_ticket_filed(session: Session, event: Event) -> None:
    assert isinstance(event, TicketFiled)
    if session.get(DispatchTicket, event.ticket_id) is not None:
        return
    session.add(
        DispatchTicket(
            id=event.ticket_id,
            community_id=event.community_id,
            grid_id=event.grid_id,
            kind=event.kind,
            title=event.title,
            description=event.description,
            category=event.category,
            urgency=event.urgency,
            address=event.address,
            channel=event.channel,
            anonymous=event.anonymous,
            reporter_phone_masked=event.reporter_phone_masked,
            status=TicketStatus.filed.value,
            proposed_department_id=domain.propose_department(get_directory(), event.category),
            filed_at=event.occurred_at,
            updated_at=_now(),
        )
    )


def on_ticket_progress(session: Session, event: Event) -> None:
    """Department and feedback events move the community's view (accepted, resolved, returned, closed...)."""
    ticket = session.get(DispatchTicket, event.ticket_id)
    if ticket is None:
        return
    target = STATUS_AFTER_EVENT.get(event.type)
    if target is not None:
        ticket.status = target.value
    if isinstance(event, TicketReturned):
        ticket.return_count += 1
        ticket.last_return_reason = event.reason
        session.add(
            DispatchReturn(
                ticket_id=ticket.id, department_id=event.department_id, reason=event.reason, returned_at=event.occurred_at
            )
        )
    if isinstance(event, TicketEscalated):
        ticket.escalation_level = max(ticket.escalation_level, event.level)
    ticket.updated_at = _now()
    session.add(ticket)
