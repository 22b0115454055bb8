"""Department fills its worklist from TicketDispatched and follows the ticket to its close through the one fold."""
from __future__ import annotations

from sqlmodel import Session

from libs.events import (
    DeadlineWarned,
    StageDeadlineSet,
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
from libs.ticket.table import follow_event
from libs.ticket.view import TicketView
from services.department.domain import ExtensionStatus
from services.department.models import DepartmentTicket
from services.department.summons import with_summons

SERVICE = "department"
# The deadlines a department answers for; the community's (dispatch) and the resident's (rating) are not on its list.
DEPARTMENT_STAGES = frozenset({Stage.accept, Stage.contact, Stage.resolve})


def _held(session: Session, event: Event, department_id: str | None = None) -> DepartmentTicket | None:
    """The department's view of the ticket, if it holds it (and the event concerns that department)."""
    # Locked: a command (accept, resolve) folding the same row concurrently must not have its change overwritten.
    ticket = session.get(DepartmentTicket, event.ticket_id, with_for_update=True)
    if ticket is None or (department_id is not None and department_id != ticket.department_id):
        return None
    return ticket


def on_ticket_dispatched(session: Session, event: TicketDispatched) -> None:
    """A ticket arrives in (or is reassigned to) a department's worklist; its handling starts afresh."""
    ticket = session.get(DepartmentTicket, event.ticket_id, with_for_update=True) or DepartmentTicket(id=event.ticket_id, fold=TicketView().to_dict())
    ticket.sqlmodel_update(event.model_dump(include=TicketDispatched.TICKET_FIELDS))
    ticket.department_id, ticket.dispatch_note, ticket.dispatched_at = event.department_id, event.note, event.occurred_at
    ticket.accepted_at = ticket.resolved_at = ticket.contacted_at = None
    ticket.resolution_note = ticket.contact_note = None
    ticket.evidence = []
    ticket.extension_status = ticket.extension_request_event_id = ticket.extension_unit = None
    ticket.extension_amount = None
    ticket.extension_reason = ticket.extension_note = None
    follow_event(session, ticket, event, service=SERVICE)


def on_ticket_event(session: Session, event: Event) -> None:
    """Later events the department must see on its list (reopened, closed, merged)."""
    ticket = _held(session, event)
    if ticket is not None:
        follow_event(session, ticket, event, service=SERVICE)


def on_deadline(session: Session, event: DeadlineWarned | TicketEscalated | StageDeadlineSet) -> None:
    """时限 / 催办 / 督办 of one of the department's own stages, for the department that holds the ticket."""
    ticket = _held(session, event, event.department_id)
    if ticket is not None and event.stage in DEPARTMENT_STAGES:
        follow_event(session, ticket, event, service=SERVICE)


def on_extension_decided(session: Session, event: ExtensionGranted | ExtensionRefused) -> None:
    """A supervisor decided our 延期申请 (matched by the request's event id); a grant moved the resolution deadline."""
    ticket = _held(session, event)
    if ticket is None or ticket.extension_request_event_id != str(event.request_event_id):
        return
    if isinstance(event, ExtensionGranted):
        ticket.extension_status = ExtensionStatus.granted.value
        ticket.extension_amount, ticket.extension_unit = event.amount, event.unit
    else:
        ticket.extension_status = ExtensionStatus.refused.value
    ticket.extension_note = event.note
    follow_event(session, ticket, event, service=SERVICE)


def on_suspension(session: Session, event: TicketSuspended | TicketResumed) -> None:
    """挂起 / 恢复: deadlines stop or run again; while suspended the worklist says why."""
    ticket = _held(session, event)
    if ticket is not None:
        ticket.suspend_reason = event.reason if isinstance(event, TicketSuspended) else None
        follow_event(session, ticket, event, service=SERVICE)


HANDLERS: Handlers = with_summons({  # 吹哨报到: tasks of summoned departments (services/department/summons.py)
    TicketDispatched: on_ticket_dispatched,
    TicketReopened: on_ticket_event,
    TicketClosed: on_ticket_event,
    TicketMerged: on_ticket_event,
    TicketEscalated: on_deadline,
    DeadlineWarned: on_deadline,
    StageDeadlineSet: on_deadline,
    ExtensionGranted: on_extension_decided,
    ExtensionRefused: on_extension_decided,
    TicketSuspended: on_suspension,
    TicketResumed: on_suspension,
})
