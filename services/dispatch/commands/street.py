"""街道分拨: the street's triage queue holds the tickets nothing placed in a community (no grid, position, address or
filer's community resolved them); the street's supervisors assign each to a community, whose console takes it over."""
from __future__ import annotations

from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.directory import Directory, get_directory
from libs.events import Actor, TicketAssignedToCommunity
from libs.statemachine import Forbidden
from libs.ticket import AWAITING_COMMUNITY, TicketStatus
from libs.ticket.table import commit_event, find_ticket
from services.dispatch import domain
from services.dispatch.models import DispatchTicket


def check_street(principal: Principal, directory: Directory) -> None:
    """Only supervisors of this street work its triage queue (their token names the street)."""
    if principal.role != "supervisor" or principal.street_id != directory.street.id:
        raise Forbidden(f"street: the triage queue of {directory.street.id!r} is outside your scope")


def street_queue(session: Session, *, principal: Principal, limit: int, offset: int) -> list[DispatchTicket]:
    """The tickets waiting in the street's triage queue, most escalated first, then oldest."""
    directory = get_directory()
    check_street(principal, directory)
    query = (
        select(DispatchTicket)
        .where(DispatchTicket.community_id == directory.triage_scope)
        .where(col(DispatchTicket.status).in_(sorted(s.value for s in AWAITING_COMMUNITY)))
        .order_by(col(DispatchTicket.escalation_level).desc(), col(DispatchTicket.filed_at))
    )
    return list(session.exec(query.offset(offset).limit(limit)))


def assign_community(
    session: Session, *, principal: Principal, ticket_id: str, community_id: str, grid_id: str | None, note: str | None
) -> DispatchTicket:
    """分拨: the ticket leaves the street's queue for the community's console (status stays: it waits for triage)."""
    directory = get_directory()
    check_street(principal, directory)
    ticket = find_ticket(session, DispatchTicket, ticket_id, lock=True)
    domain.check_assignment(
        directory, current_community=ticket.community_id, status=TicketStatus(ticket.status), community_id=community_id, grid_id=grid_id
    )
    event = TicketAssignedToCommunity(
        ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=community_id,
        from_community_id=ticket.community_id, grid_id=grid_id, note=note,
    )
    ticket.community_id, ticket.grid_id = community_id, grid_id
    return commit_event(session, ticket, event)
