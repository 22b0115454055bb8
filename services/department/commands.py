"""Department use cases (签收, 办结, 退单) and the events that fill its worklist."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, col, select

from libs.auth import Principal, require_scope
from libs.events import Actor, Event, TicketAccepted, TicketDispatched, TicketEscalated, TicketResolved, TicketReturned
from libs.messaging import record_event
from libs.statemachine import NotFound
from libs.statemachine.ticket import STATUS_AFTER_EVENT, TicketStatus
from services.department import domain
from services.department.models import DepartmentTicket


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _load(session: Session, principal: Principal, ticket_id: str, *, lock: bool = False) -> DepartmentTicket:
    ticket = session.get(DepartmentTicket, ticket_id, with_for_update=lock)
    if ticket is None or (principal.role == "department_staff" and principal.department_id != ticket.department_id):
        raise NotFound(f"ticket {ticket_id!r} not found in your department's worklist")
    require_scope(principal, department_id=ticket.department_id)
    return ticket


def accept_ticket(session: Session, *, principal: Principal, ticket_id: str) -> DepartmentTicket:
    ticket = _load(session, principal, ticket_id, lock=True)
    ticket.status = domain.accept(TicketStatus(ticket.status)).value
    ticket.accepted_at = ticket.updated_at = _now()
    ticket.escalation_level = 0
    session.add(ticket)
    record_event(
        session, TicketAccepted(ticket_id=ticket.id, actor=Actor(**principal.actor()), department_id=ticket.department_id)
    )
    return ticket


def resolve_ticket(
    session: Session, *, principal: Principal, ticket_id: str, note: str, evidence: list[str]
) -> DepartmentTicket:
    ticket = _load(session, principal, ticket_id, lock=True)
    ticket.status = domain.resolve(TicketStatus(ticket.status)).value
    ticket.resolution_note = note
    ticket.evidence = list(evidence)
    ticket.resolved_at = ticket.updated_at = _now()
    session.add(ticket)
    record_event(
        session,
        TicketResolved(
            ticket_id=ticket.id,
            actor=Actor(**principal.actor()),
            department_id=ticket.department_id,
            note=note,
            evidence=tuple(evidence),
        ),
    )
    return ticket


def return_ticket(session: Session, *, principal: Principal, ticket_id: str, reason: str) -> DepartmentTicket:
    ticket = _load(session, principal, ticket_id, lock=True)
    ticket.status = domain.return_to_community(TicketStatus(ticket.status)).value
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(
        session,
        TicketReturned(
            ticket_id=ticket.id,
            actor=Actor(**principal.actor()),
            department_id=ticket.department_id,
            community_id=ticket.community_id,
            reason=reason,
        ),
    )
    return ticket


def list_tickets(
    session: Session, *, principal: Principal, department_id: str | None, statuses: list[str], limit: int, offset: int
) -> list[DepartmentTicket]:
    if principal.role == "department_staff":
        department_id = department_id or principal.department_id
        require_scope(principal, department_id=department_id)
    query = select(DepartmentTicket)
    if department_id:
        query = query.where(DepartmentTicket.department_id == department_id)
    if statuses:
        query = query.where(col(DepartmentTicket.status).in_(statuses))
    query = query.order_by(col(DepartmentTicket.escalation_level).desc(), col(DepartmentTicket.dispatched_at))
    return list(session.exec(query.offset(offset).limit(limit)))


def get_ticket(session: Session, *, principal: Principal, ticket_id: str) -> DepartmentTicket:
    return _load(session, principal, ticket_id)


# --- event handlers (inside the idempotent inbox transaction) ---


def on_ticket_dispatched(session: Session, event: Event) -> None:
    """A ticket arrives in (or is reassigned to) a department's worklist."""
    assert isinstance(event, TicketDispatched)
    ticket = session.get(DepartmentTicket, event.ticket_id) or DepartmentTicket(
        id=event.ticket_id, dispatched_at=event.occurred_at, updated_at=_now(), status=TicketStatus.dispatched.value,
        department_id=event.department_id, community_id=event.community_id, kind=event.kind, title=event.title,
        description=event.description, category=event.category, urgency=event.urgency,
    )
    ticket.department_id = event.department_id
    ticket.community_id = event.community_id
    ticket.grid_id = event.grid_id
    ticket.kind, ticket.title, ticket.description = event.kind, event.title, event.description
    ticket.category, ticket.urgency, ticket.address = event.category, event.urgency, event.address
    ticket.anonymous, ticket.reporter_phone_masked = event.anonymous, event.reporter_phone_masked
    ticket.dispatch_note = event.note
    ticket.status = TicketStatus.dispatched.value
    ticket.dispatched_at = event.occurred_at
    ticket.accepted_at = ticket.resolved_at = None
    ticket.resolution_note = None
    ticket.evidence = []
    ticket.escalation_level = 0
    ticket.updated_at = _now()
    session.add(ticket)


def on_ticket_progress(session: Session, event: Event) -> None:
    """Later events (reopened, closed, escalated) the department must see on its list."""
    ticket = session.get(DepartmentTicket, event.ticket_id)
    if ticket is None:
        return
    if isinstance(event, TicketEscalated):
        if event.department_id in (None, ticket.department_id):
            ticket.escalation_level = max(ticket.escalation_level, event.level)
    else:
        target = STATUS_AFTER_EVENT.get(event.type)
        if target is not None:
            ticket.status = target.value
    ticket.updated_at = _now()
    session.add(ticket)
