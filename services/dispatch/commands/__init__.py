"""Dispatch use cases, one module per router: `triage` (the community's 派单, 即办, 合并), `supervision` (挂起,
延期审批) and `admin` (SLA policy, calendar). Each use case runs in one transaction and stages its events."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session

from libs.auth.principal import Principal, check_scope
from libs.ticket.table import find_ticket
from services.dispatch.models import DispatchTicket


def now() -> datetime:
    return datetime.now(timezone.utc)


def load_ticket(session: Session, principal: Principal, ticket_id: str, *, lock: bool = True) -> DispatchTicket:
    """The ticket if the caller's scope covers its community (locked for a change by default)."""
    ticket = find_ticket(session, DispatchTicket, ticket_id, lock=lock)
    check_scope(principal, community_id=ticket.community_id)
    return ticket
