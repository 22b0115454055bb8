"""Intake's read use cases and the events that move the resident's view (filing itself is `filing.py`)."""
from __future__ import annotations

from sqlmodel import Session, col, select

from libs.auth.principal import Principal, in_street
from libs.events import Event, TicketRecategorized
from libs.events import TicketAssignedToCommunity
from libs.statemachine import NotFound
from libs.ticket.table import follow_event
from services.intake.domain import timeline_note
from services.intake.models import IntakeTicket, IntakeTimeline
from services.intake.story import timeline_row

def get_ticket(session: Session, *, principal: Principal, ticket_id: str) -> IntakeTicket:
    """The ticket if the caller may see it: its reporter or filer, staff of its community, or the grid worker of its
    grid (of its community, for a grid worker without grids)."""
    ticket = session.get(IntakeTicket, ticket_id)
    if ticket is None or not _may_see(principal, ticket):
        raise NotFound(f"ticket {ticket_id!r} not found")
    return ticket


def _may_see(principal: Principal, ticket: IntakeTicket) -> bool:
    if principal.role in ("leader", "admin"):
        return True
    if principal.role == "supervisor":
        return in_street(principal, ticket.community_id)  # their street's tickets only
    if principal.role == "community_staff":
        return principal.community_id == ticket.community_id
    if principal.role == "grid_worker" and in_my_grids(principal, ticket):
        return True
    return principal.sub in (ticket.reporter_id, ticket.filed_by)


def in_my_grids(principal: Principal, ticket: IntakeTicket) -> bool:
    """A grid worker's patch: the tickets of their grids; one without grids covers their whole community."""
    if principal.grid_ids:
        return ticket.grid_id is not None and ticket.grid_id in principal.grid_ids
    return principal.community_id is not None and ticket.community_id == principal.community_id


def grid_tickets(
    session: Session, *, principal: Principal, statuses: list[str] | None, limit: int, offset: int
) -> list[IntakeTicket]:
    """我的网格: the tickets of the grid worker's grids (else of their community), newest first."""
    if principal.grid_ids:
        query = select(IntakeTicket).where(col(IntakeTicket.grid_id).in_(principal.grid_ids))
    elif principal.community_id:
        query = select(IntakeTicket).where(IntakeTicket.community_id == principal.community_id)
    else:
        return []  # an account with neither grids nor a community patrols nothing
    if statuses:
        query = query.where(col(IntakeTicket.status).in_(statuses))
    order = (col(IntakeTicket.created_at).desc(), col(IntakeTicket.id).desc())
    return list(session.exec(query.order_by(*order).offset(offset).limit(limit)))


def my_tickets(session: Session, *, principal: Principal, limit: int, offset: int) -> list[IntakeTicket]:
    query = select(IntakeTicket).where((IntakeTicket.reporter_id == principal.sub) | (IntakeTicket.filed_by == principal.sub))
    return list(session.exec(query.order_by(col(IntakeTicket.created_at).desc()).offset(offset).limit(limit)))


def timeline(session: Session, ticket_id: str) -> list[IntakeTimeline]:
    return list(
        session.exec(select(IntakeTimeline).where(IntakeTimeline.ticket_id == ticket_id).order_by(IntakeTimeline.id))
    )




def apply_ticket_event(session: Session, event: Event) -> None:
    """Mirror a later ticket event onto the resident's view and the ticket's story (from the idempotent inbox)."""
    ticket = session.get(IntakeTicket, event.ticket_id, with_for_update=True)
    if ticket is None:
        return  # not filed through this intake (e.g. another district's topic); nothing to mirror
    if isinstance(event, TicketRecategorized):
        ticket.category = event.category  # 分类调整 by the community
    follow_event(session, ticket, event, service="intake")
    session.add(timeline_row(event, note=timeline_note(event)))


def on_assigned_to_community(session: Session, event: TicketAssignedToCommunity) -> None:
    """街道分拨: the ticket now belongs to the community the street's supervisor chose (its staff may see it)."""
    ticket = session.get(IntakeTicket, event.ticket_id, with_for_update=True)
    if ticket is not None:
        ticket.community_id, ticket.grid_id = event.community_id, event.grid_id
    apply_ticket_event(session, event)
