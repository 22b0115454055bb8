"""隐患随手拍 confirmed by the community: staff of the ticket's community (or the street's supervisor) say a hazard
report is a real hazard; HazardVerified goes out and the wishes service credits the reporter's points, once. The
ticket is handled on as before (dispatched, settled on the spot...)."""
from __future__ import annotations

from pydantic import ConfigDict
from sqlmodel import Field, Session, SQLModel

from libs.auth.principal import Principal
from libs.events import Actor, HazardVerified
from libs.statemachine import DomainError
from libs.ticket.status import TicketStatus
from libs.ticket.table import commit_event
from services.dispatch.commands import load_ticket
from services.dispatch.models import DispatchTicket


class HazardRequest(SQLModel):
    """确认隐患, optionally with what staff found."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "网格员现场核实：井盖确实缺失"}]})
    note: str | None = Field(default=None, max_length=500)


def verify_hazard(session: Session, *, principal: Principal, ticket_id: str, note: str | None = None) -> DispatchTicket:
    """确认隐患: a kind-hazard ticket, once; a merged duplicate is confirmed on the ticket it joined (409 here)."""
    ticket = load_ticket(session, principal, ticket_id)
    if ticket.kind != "hazard":
        raise DomainError("只有隐患随手拍可以确认隐患")
    view = ticket.view()
    if view.hazard_verified:
        raise DomainError("这条隐患已经确认过，不能重复确认")
    if TicketStatus(ticket.status) == TicketStatus.merged:
        raise DomainError("这条隐患已合并到另一件诉求，请在那件诉求上确认")
    event = HazardVerified(ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=ticket.community_id, note=note)
    return commit_event(session, ticket, event)
