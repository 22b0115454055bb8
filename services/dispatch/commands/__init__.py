"""Dispatch use cases, one module per router: `triage` (the community's 派单, 即办, 合并), `supervision` (挂起,
延期审批) and `admin` (SLA policy, calendar). Each use case runs in one transaction and stages its events."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session

from libs.auth.principal import Principal, check_scope
from libs.events import Event
from libs.messaging import record_event
from libs.statemachine import NotFound
from libs.ticket.view import fold
from services.dispatch.models import DispatchTicket


def now() -> datetime:
    return datetime.now(timezone.utc)


def load_ticket(session: Session, principal: Principal, ticket_id: str, *, lock: bool = True) -> DispatchTicket:
    """The ticket if the caller's scope covers its community (locked for a change by default)."""
    ticket = session.get(DispatchTicket, ticket_id, with_for_update=lock)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id!r} not found")
    check_scope(principal, community_id=ticket.community_id)
    return ticket


def commit_event(session: Session, ticket: DispatchTicket, event: Event) -> DispatchTicket:
    """Move the console's view by `event` (409 if the move is illegal) and stage the event in the outbox."""
    ticket.store(fold(ticket.view(), event))
    ticket.updated_at = now()
    session.add(ticket)
    record_event(session, event)
    return ticket
