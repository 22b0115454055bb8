"""街道分拨: each street's triage queue (`street:<id>`) holds the tickets nothing placed in a community (no grid,
position, address or filer's community resolved them); the street's supervisors assign each to a community of the
street, whose console takes it over, or pass it to another street's queue."""
from __future__ import annotations

from sqlmodel import Session, col, select

from libs.auth.principal import Principal, check_street
from libs.directory import Directory, get_directory
from libs.events import Actor, TicketAssignedToCommunity
from libs.statemachine import Forbidden
from libs.ticket import AWAITING_COMMUNITY, TicketStatus
from libs.ticket.table import commit_event, find_ticket
from services.dispatch import domain
from services.dispatch.models import DispatchTicket


def check_supervisor(principal: Principal, directory: Directory) -> str:
    """Only a supervisor of a street of the district works a triage queue: their own street's (the token names it)."""
    if principal.role != "supervisor" or directory.street(principal.street_id) is None:
        raise Forbidden(f"street: {principal.street_id!r} is not a street of the district; only its supervisors work its triage queue")
    return principal.street_id  # type: ignore[return-value]


def street_queue(session: Session, *, principal: Principal, limit: int, offset: int) -> list[DispatchTicket]:
    """The tickets waiting in the caller's street's triage queue, most escalated first, then oldest."""
    directory = get_directory()
    street = check_supervisor(principal, directory)
    query = (
        select(DispatchTicket)
        .where(DispatchTicket.community_id == directory.triage_scope_of(street))
        .where(col(DispatchTicket.status).in_(sorted(s.value for s in AWAITING_COMMUNITY)))
        .order_by(col(DispatchTicket.escalation_level).desc(), col(DispatchTicket.filed_at))
    )
    return list(session.exec(query.offset(offset).limit(limit)))


def assign_community(
    session: Session, *, principal: Principal, ticket_id: str, community_id: str, grid_id: str | None, note: str | None
) -> DispatchTicket:
    """分拨: the ticket leaves the street's queue for the community's console (status stays: it waits for triage)."""
    directory = get_directory()
    check_supervisor(principal, directory)
    ticket = find_ticket(session, DispatchTicket, ticket_id, lock=True)
    check_street(principal, ticket.community_id)  # another street's ticket: 403
    domain.check_assignment(
        directory, current_community=ticket.community_id, status=TicketStatus(ticket.status), community_id=community_id, grid_id=grid_id
    )
    event = TicketAssignedToCommunity(
        ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=community_id,
        from_community_id=ticket.community_id, grid_id=grid_id, note=note,
    )
    ticket.community_id, ticket.grid_id = community_id, grid_id
    return commit_event(session, ticket, event)
