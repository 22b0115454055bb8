"""Department use cases (签收, 先行联系, 延期申请, 办结, 退单) and the events that fill its worklist."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session

from libs.auth.principal import Principal, check_scope, check_street
from libs.events import Actor, ExtensionRequested, ResidentContacted, TicketAccepted, TicketResolved, TicketReturned
from libs.statemachine import NotFound
from libs.ticket import OPEN_FOR_DEPARTMENT, TicketStatus
from libs.ticket.table import commit_event
from libs.ticket.worklist import Tab, Worklist
from services.department import domain, summons
from services.department.domain import ExtensionStatus
from services.department.models import DepartmentTicket, ExtensionRequest

S = TicketStatus
# 部门工单: 待办 (the default: what the department must still act on), 办结, 已退单 (returned and not yet given to
# another department), 全部.
WORKLIST = Worklist(
    DepartmentTicket, "department", date_column="dispatched_at",
    tabs={
        "todo": Tab(OPEN_FOR_DEPARTMENT),
        "done": Tab(frozenset({S.resolved, S.callback, S.closed, S.reopened, S.settled_on_spot, S.merged})),
        "returned": Tab(frozenset({S.returned})),
        "all": Tab(),
    },
)
list_tickets, count_tickets, tab_counts = WORKLIST.read, WORKLIST.count, WORKLIST.tab_counts


def now() -> datetime:
    return datetime.now(timezone.utc)


def _load(session: Session, principal: Principal, ticket_id: str, *, lock: bool = False) -> DepartmentTicket:
    ticket = session.get(DepartmentTicket, ticket_id, with_for_update=lock)
    if ticket is None or (principal.role == "department_staff" and principal.department_id != ticket.department_id):
        raise NotFound(f"ticket {ticket_id!r} not found in your department's worklist")
    check_scope(principal, department_id=ticket.department_id)
    check_street(principal, ticket.community_id)  # a supervisor: their street's tickets only
    return ticket


def accept_ticket(session: Session, *, principal: Principal, ticket_id: str) -> DepartmentTicket:
    """签收."""
    ticket = _load(session, principal, ticket_id, lock=True)
    ticket.accepted_at = now()
    return commit_event(session, ticket, TicketAccepted(ticket_id=ticket.id, actor=Actor(**principal.actor()), department_id=ticket.department_id))


def resolve_ticket(
    session: Session, *, principal: Principal, ticket_id: str, note: str, evidence: list[str]
) -> DepartmentTicket:
    """办结 with a note and evidence: only after signing for it, and (吹哨报到) after every co-task is completed."""
    ticket = _load(session, principal, ticket_id, lock=True)
    summons.check_co_tasks_done(session, ticket.id)
    summons.end_summonses(session, ticket.id)
    ticket.resolution_note = note
    ticket.evidence = list(evidence)
    ticket.resolved_at = now()
    event = TicketResolved(
        ticket_id=ticket.id, actor=Actor(**principal.actor()), department_id=ticket.department_id, note=note, evidence=tuple(evidence)
    )
    return commit_event(session, ticket, event)


def return_ticket(session: Session, *, principal: Principal, ticket_id: str, reason: str) -> DepartmentTicket:
    """退单: a misrouted ticket goes back to the community, before or after signing."""
    ticket = _load(session, principal, ticket_id, lock=True)
    summons.end_summonses(session, ticket.id)  # a summons of a misrouted ticket ends with it
    event = TicketReturned(
        ticket_id=ticket.id,
        actor=Actor(**principal.actor()),
        department_id=ticket.department_id,
        community_id=ticket.community_id,
        reason=reason,
    )
    return commit_event(session, ticket, event)


def contact_resident(session: Session, *, principal: Principal, ticket_id: str, note: str | None) -> DepartmentTicket:
    """先行联系: record the first contact with the resident; the contact deadline stops."""
    ticket = _load(session, principal, ticket_id, lock=True)
    domain.contact_resident(TicketStatus(ticket.status), ticket.contacted_at)
    ticket.contacted_at = now()
    ticket.contact_note = note
    event = ResidentContacted(ticket_id=ticket.id, actor=Actor(**principal.actor()), department_id=ticket.department_id, note=note)
    return commit_event(session, ticket, event)


def request_extension(session: Session, *, principal: Principal, ticket_id: str, body: ExtensionRequest) -> DepartmentTicket:
    """延期申请: ask a supervisor for more time on the resolution deadline."""
    ticket = _load(session, principal, ticket_id, lock=True)
    domain.request_extension(TicketStatus(ticket.status), ticket.extension_status, ticket.suspended)
    event = ExtensionRequested(
        **body.model_dump(), ticket_id=ticket.id, actor=Actor(**principal.actor()), department_id=ticket.department_id
    )
    ticket.extension_status = ExtensionStatus.pending.value
    ticket.extension_request_event_id = str(event.event_id)
    ticket.extension_amount, ticket.extension_unit = body.amount, body.unit
    ticket.extension_reason, ticket.extension_note = body.reason, None
    return commit_event(session, ticket, event)


def get_ticket(session: Session, *, principal: Principal, ticket_id: str) -> DepartmentTicket:
    return _load(session, principal, ticket_id)
