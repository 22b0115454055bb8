"""The community's triage (社区转哨): 派单 / 改派, 即办, 合并, and the console's lists."""
from __future__ import annotations

from sqlmodel import Session

from libs.auth.principal import Principal
from libs.directory import get_directory
from libs.events import Actor, TicketDispatched, TicketMerged, TicketRecategorized, TicketSettledOnSpot
from libs.statemachine import NotFound
from libs.ticket import AWAITING_COMMUNITY, TicketStatus
from libs.ticket.table import commit_event
from libs.ticket.worklist import Tab, Worklist
from services.dispatch import domain, duplicates
from services.dispatch.commands import load_ticket
from services.dispatch.models import DispatchTicket, DuplicateHint

S = TicketStatus
# The console's tabs: 待转哨 (the default), 办理中, 办结, 已退单 (returned at least once, wherever it is now), 全部.
CONSOLE = Worklist(
    DispatchTicket, "community", date_column="filed_at",
    tabs={
        "queue": Tab(AWAITING_COMMUNITY),
        "handling": Tab(frozenset({S.dispatched, S.accepted})),
        "done": Tab(frozenset({S.resolved, S.settled_on_spot, S.callback, S.closed, S.merged})),
        "returned": Tab(returned=True),
        "all": Tab(),
    },
)
list_tickets, count_tickets, tab_counts = CONSOLE.read, CONSOLE.count, CONSOLE.tab_counts


def dispatch_ticket(
    session: Session, *, principal: Principal, ticket_id: str, department_id: str, note: str | None
) -> DispatchTicket:
    """派单 (or 改派 after a return): stage TicketDispatched for the department."""
    ticket = load_ticket(session, principal, ticket_id)
    domain.check_placed(get_directory(), ticket.community_id)
    domain.check_department(get_directory(), department_id, ticket.community_id)
    event = TicketDispatched(
        **ticket.model_dump(include=TicketDispatched.TICKET_FIELDS),
        ticket_id=ticket.id,
        actor=Actor(**principal.actor()),
        department_id=department_id,
        note=note,
    )
    ticket.department_id = department_id
    return commit_event(session, ticket, event)


def settle_on_spot(session: Session, *, principal: Principal, ticket_id: str, note: str) -> DispatchTicket:
    """即办件当场结: stage TicketSettledOnSpot; the resident rates it next."""
    ticket = load_ticket(session, principal, ticket_id)
    domain.check_placed(get_directory(), ticket.community_id)
    domain.settle_on_spot(TicketStatus(ticket.status))
    ticket.settle_note = note
    event = TicketSettledOnSpot(ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=ticket.community_id, note=note)
    return commit_event(session, ticket, event)


def merge_ticket(session: Session, *, principal: Principal, ticket_id: str, into_ticket_id: str) -> DispatchTicket:
    """合并: a duplicate joins the ticket it repeats; its own life ends (the resident follows the other one)."""
    ticket = load_ticket(session, principal, ticket_id)
    target = session.get(DispatchTicket, into_ticket_id)
    if target is None:
        raise NotFound(f"into_ticket_id: ticket {into_ticket_id!r} not found")
    domain.merge(
        TicketStatus(ticket.status),
        ticket_id=ticket.id,
        community_id=ticket.community_id,
        into_ticket_id=target.id,
        into_community_id=target.community_id,
        into_status=TicketStatus(target.status),
    )
    event = TicketMerged(ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=ticket.community_id, merged_into=target.id)
    return commit_event(session, ticket, event)


def recategorize_ticket(
    session: Session, *, principal: Principal, ticket_id: str, category: str, note: str | None
) -> DispatchTicket:
    """分类调整: stage TicketRecategorized; the proposed department follows the category, duplicate hints are redone."""
    ticket = load_ticket(session, principal, ticket_id)
    proposed = domain.recategorize(get_directory(), TicketStatus(ticket.status), category=ticket.category, new_category=category)
    event = TicketRecategorized(
        ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=ticket.community_id, category=category,
        previous_category=ticket.category, proposed_department_id=proposed, note=note,
    )
    ticket.category, ticket.proposed_department_id = category, proposed
    commit_event(session, ticket, event)
    duplicates.link_duplicates(session, ticket)
    return ticket


def duplicate_hints(session: Session, *, principal: Principal, ticket_id: str) -> list[DuplicateHint]:
    """疑似重复: the open tickets this one may repeat, for the console's 合并 buttons."""
    return duplicates.hints(session, load_ticket(session, principal, ticket_id, lock=False))


def duplicate_hints_for(session: Session, *, principal: Principal, ticket_ids: list[str]) -> dict[str, list[DuplicateHint]]:
    """疑似重复 of several tickets (the console's queue in one call); every ticket must be in the caller's scope."""
    tickets = [load_ticket(session, principal, ticket_id, lock=False) for ticket_id in dict.fromkeys(ticket_ids)]
    return duplicates.hints_for(session, tickets)


def get_ticket(session: Session, *, principal: Principal, ticket_id: str) -> DispatchTicket:
    return load_ticket(session, principal, ticket_id, lock=False)
