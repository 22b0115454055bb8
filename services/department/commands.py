"""Department use cases (签收, 先行联系, 延期申请, 办结, 退单) and the events that fill its worklist."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, col, select

from libs.auth import Principal, require_scope
from libs.events import (
    Actor,
    DeadlineWarned,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    ResidentContacted,
    TicketAccepted,
    TicketDispatched,
    TicketEscalated,
    TicketMerged,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSuspended,
)
from libs.messaging import record_event
from libs.statemachine import NotFound
from libs.ticket import STATUS_AFTER_EVENT, TicketStatus
from services.department import domain
from services.department.domain import ExtensionStatus
from services.department.models import DepartmentTicket, ExtensionRequest


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
    ticket.escalation_level, ticket.escalation_stage = 0, None
    ticket.warnings = domain.warnings_after(ticket.warnings, "TicketAccepted")
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
    ticket.warnings = domain.warnings_after(ticket.warnings, "TicketResolved")
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
    ticket.warnings = domain.warnings_after(ticket.warnings, "TicketReturned")
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


def contact_resident(session: Session, *, principal: Principal, ticket_id: str, note: str | None) -> DepartmentTicket:
    """先行联系: record the first contact with the resident; the contact deadline stops."""
    ticket = _load(session, principal, ticket_id, lock=True)
    domain.contact_resident(TicketStatus(ticket.status), ticket.contacted_at)
    ticket.contacted_at = ticket.updated_at = _now()
    ticket.contact_note = note
    ticket.warnings = domain.warnings_after(ticket.warnings, "ResidentContacted")
    if ticket.escalation_stage == "contact":
        ticket.escalation_level, ticket.escalation_stage = 0, None
    session.add(ticket)
    record_event(
        session,
        ResidentContacted(ticket_id=ticket.id, actor=Actor(**principal.actor()), department_id=ticket.department_id, note=note),
    )
    return ticket


def request_extension(session: Session, *, principal: Principal, ticket_id: str, body: ExtensionRequest) -> DepartmentTicket:
    """延期申请: ask a supervisor for more time on the resolution deadline."""
    ticket = _load(session, principal, ticket_id, lock=True)
    domain.request_extension(TicketStatus(ticket.status), ticket.extension_status, ticket.suspended)
    event = ExtensionRequested(
        ticket_id=ticket.id,
        actor=Actor(**principal.actor()),
        department_id=ticket.department_id,
        amount=body.amount,
        unit=body.unit,
        reason=body.reason,
    )
    ticket.extension_status = ExtensionStatus.pending.value
    ticket.extension_request_event_id = str(event.event_id)
    ticket.extension_amount, ticket.extension_unit = body.amount, body.unit
    ticket.extension_reason, ticket.extension_note = body.reason, None
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(session, event)
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
    ticket.accepted_at = ticket.resolved_at = ticket.contacted_at = None
    ticket.resolution_note = ticket.contact_note = None
    ticket.evidence = []
    ticket.escalation_level, ticket.escalation_stage = 0, None
    ticket.warnings = {}
    ticket.extension_status = ticket.extension_request_event_id = ticket.extension_unit = None
    ticket.extension_amount = None
    ticket.extension_reason = ticket.extension_note = None
    ticket.updated_at = _now()
    session.add(ticket)


def on_ticket_progress(session: Session, event: Event) -> None:
    """Later events (reopened, closed, escalated) the department must see on its list."""
    ticket = session.get(DepartmentTicket, event.ticket_id)
    if ticket is None:
        return
    if isinstance(event, TicketEscalated):
        if event.department_id in (None, ticket.department_id):
            if event.level >= ticket.escalation_level:
                ticket.escalation_stage = event.stage
            ticket.escalation_level = max(ticket.escalation_level, event.level)
    else:
        target = STATUS_AFTER_EVENT.get(event.type)
        if target is not None:
            ticket.status = target.value
    ticket.updated_at = _now()
    session.add(ticket)


def _held(session: Session, event: Event, department_id: str | None = None) -> DepartmentTicket | None:
    """The department's view of the ticket, if it holds it (and the event concerns that department)."""
    ticket = session.get(DepartmentTicket, event.ticket_id)
    if ticket is None or (department_id is not None and department_id != ticket.department_id):
        return None
    return ticket


def on_deadline_warned(session: Session, event: Event) -> None:
    """催办: show the near deadline until the stage ends."""
    assert isinstance(event, DeadlineWarned)
    ticket = _held(session, event, event.department_id)
    if ticket is None or not domain.warning_applies(event.stage, TicketStatus(ticket.status), ticket.contacted_at):
        return
    ticket.warnings = {**ticket.warnings, event.stage: event.deadline.isoformat()}
    ticket.updated_at = _now()
    session.add(ticket)


def on_extension_decided(session: Session, event: Event) -> None:
    """A supervisor granted or refused our 延期申请 (matched by the request's event id)."""
    assert isinstance(event, (ExtensionGranted, ExtensionRefused))
    ticket = _held(session, event)
    if ticket is None or ticket.extension_request_event_id != str(event.request_event_id):
        return
    if isinstance(event, ExtensionGranted):
        ticket.extension_status = ExtensionStatus.granted.value
        ticket.extension_amount, ticket.extension_unit = event.amount, event.unit
        ticket.warnings = domain.warnings_after(ticket.warnings, "ExtensionGranted")
        if ticket.escalation_stage == "resolve":
            ticket.escalation_level, ticket.escalation_stage = 0, None
    else:
        ticket.extension_status = ExtensionStatus.refused.value
    ticket.extension_note = event.note
    ticket.updated_at = _now()
    session.add(ticket)


def on_ticket_merged(session: Session, event: Event) -> None:
    """A duplicate merged into another ticket leaves the worklist."""
    assert isinstance(event, TicketMerged)
    ticket = _held(session, event)
    if ticket is None:
        return
    ticket.status = TicketStatus.merged.value
    ticket.merged_into = event.merged_into
    ticket.warnings = {}
    ticket.updated_at = _now()
    session.add(ticket)


def on_ticket_suspended(session: Session, event: Event) -> None:
    """挂起 / 恢复: deadlines stop while suspended; the worklist says so."""
    assert isinstance(event, (TicketSuspended, TicketResumed))
    ticket = _held(session, event)
    if ticket is None:
        return
    ticket.suspended = isinstance(event, TicketSuspended)
    ticket.suspend_reason = event.reason if isinstance(event, TicketSuspended) else None
    ticket.updated_at = _now()
    session.add(ticket)
