"""Department fills its worklist from TicketDispatched and follows the ticket to its close through the one fold."""
from __future__ import annotations

from sqlmodel import Session

from libs.events import (
    DeadlineWarned,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketMerged,
    TicketReopened,
    TicketResumed,
    TicketSuspended,
)
from libs.messaging import Handlers
from libs.ticket import Stage
from libs.ticket.view import TicketView, apply_event
from services.department.commands import now
from services.department.domain import ExtensionStatus
from services.department.models import DepartmentTicket

# The deadlines a department answers for; the community's (dispatch) and the resident's (rating) are not on its list.
DEPARTMENT_STAGES = frozenset({Stage.accept, Stage.contact, Stage.resolve})


def _fold(session: Session, ticket: DepartmentTicket, event: Event) -> DepartmentTicket:
    ticket.store(apply_event(ticket.view(), event, service="department"))
    ticket.updated_at = now()
    session.add(ticket)
    return ticket


def _held(session: Session, event: Event, department_id: str | None = None) -> DepartmentTicket | None:
    """The department's view of the ticket, if it holds it (and the event concerns that department)."""
    ticket = session.get(DepartmentTicket, event.ticket_id)
    if ticket is None or (department_id is not None and department_id != ticket.department_id):
        return None
    return ticket


def on_ticket_dispatched(session: Session, event: TicketDispatched) -> None:
    """A ticket arrives in (or is reassigned to) a department's worklist; its handling starts afresh."""
    ticket = session.get(DepartmentTicket, event.ticket_id) or DepartmentTicket(
        id=event.ticket_id, dispatched_at=event.occurred_at, updated_at=now(), department_id=event.department_id,
        community_id=event.community_id, kind=event.kind, title=event.title, description=event.description,
        category=event.category, urgency=event.urgency, fold=TicketView().to_dict(),
    )
    ticket.department_id = event.department_id
    ticket.community_id = event.community_id
    ticket.grid_id = event.grid_id
    ticket.kind, ticket.title, ticket.description = event.kind, event.title, event.description
    ticket.category, ticket.urgency, ticket.address = event.category, event.urgency, event.address
    ticket.anonymous, ticket.reporter_phone_masked = event.anonymous, event.reporter_phone_masked
    ticket.dispatch_note = event.note
    ticket.dispatched_at = event.occurred_at
    ticket.accepted_at = ticket.resolved_at = ticket.contacted_at = None
    ticket.resolution_note = ticket.contact_note = None
    ticket.evidence = []
    ticket.extension_status = ticket.extension_request_event_id = ticket.extension_unit = None
    ticket.extension_amount = None
    ticket.extension_reason = ticket.extension_note = None
    _fold(session, ticket, event)


def on_ticket_event(session: Session, event: Event) -> None:
    """Later events the department must see on its list (reopened, closed, merged)."""
    ticket = _held(session, event)
    if ticket is not None:
        _fold(session, ticket, event)


def on_deadline(session: Session, event: DeadlineWarned | TicketEscalated) -> None:
    """催办 / 督办 of one of the department's own stages, for the department that holds the ticket."""
    ticket = _held(session, event, event.department_id)
    if ticket is not None and event.stage in DEPARTMENT_STAGES:
        _fold(session, ticket, event)


def on_extension_granted(session: Session, event: ExtensionGranted) -> None:
    """A supervisor granted our 延期申请 (matched by the request's event id): the resolution deadline moved."""
    ticket = _held(session, event)
    if ticket is None or ticket.extension_request_event_id != str(event.request_event_id):
        return
    ticket.extension_status = ExtensionStatus.granted.value
    ticket.extension_amount, ticket.extension_unit = event.amount, event.unit
    ticket.extension_note = event.note
    _fold(session, ticket, event)


def on_extension_refused(session: Session, event: ExtensionRefused) -> None:
    ticket = _held(session, event)
    if ticket is None or ticket.extension_request_event_id != str(event.request_event_id):
        return
    ticket.extension_status = ExtensionStatus.refused.value
    ticket.extension_note = event.note
    _fold(session, ticket, event)


def on_ticket_suspended(session: Session, event: TicketSuspended) -> None:
    """挂起: deadlines stop; the worklist says why."""
    ticket = _held(session, event)
    if ticket is not None:
        ticket.suspend_reason = event.reason
        _fold(session, ticket, event)


def on_ticket_resumed(session: Session, event: TicketResumed) -> None:
    ticket = _held(session, event)
    if ticket is not None:
        ticket.suspend_reason = None
        _fold(session, ticket, event)


HANDLERS: Handlers = {
    TicketDispatched: on_ticket_dispatched,
    TicketReopened: on_ticket_event,
    TicketClosed: on_ticket_event,
    TicketMerged: on_ticket_event,
    TicketEscalated: on_deadline,
    DeadlineWarned: on_deadline,
    ExtensionGranted: on_extension_granted,
    ExtensionRefused: on_extension_refused,
    TicketSuspended: on_ticket_suspended,
    TicketResumed: on_ticket_resumed,
}
