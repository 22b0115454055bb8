"""Intake HTTP API: the resident's own tickets and one ticket's progress (filing is in `channels/`)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.listing import paging
from libs.ticket import TicketStatus
from services.intake import commands
from services.intake.models import IntakeTicket, TicketPublic
from services.intake.story import resident_entries

router = APIRouter(prefix="/tickets", tags=["tickets"])

Reader = Annotated[
    Principal,
    Depends(require("resident", "grid_worker", "community_staff", "supervisor", "leader", "admin")),
]

MinePage = paging(most=200, default=50)  # a resident's own tickets: smaller pages


def to_public(ticket: IntakeTicket, timeline: list | None = None) -> TicketPublic:
    """The resident's view: which department holds it, and the timeline without the staff's lines and internal notes."""
    entries = resident_entries(timeline or [])
    return ticket.public(TicketPublic, department_id=ticket.view().department_id, timeline=entries)


@router.get("/mine", response_model=list[TicketPublic], summary="Tickets I filed or reported")
def my_tickets(principal: Reader, runtime: RuntimeDep, page: MinePage) -> list[TicketPublic]:
    with runtime.session() as session:
        return [to_public(t) for t in commands.my_tickets(session, principal=principal, limit=page.limit, offset=page.offset)]


GridWorker = Annotated[Principal, Depends(require("grid_worker"))]
GridPage = paging(most=200, default=50)


@router.get(
    "/grid", response_model=list[TicketPublic],
    summary="我的网格: the tickets of the grid worker's grids (of their community if they have none), newest first",
)
def grid_tickets(
    principal: GridWorker,
    runtime: RuntimeDep,
    page: GridPage,
    status: Annotated[list[TicketStatus] | None, Query(description="Only these statuses; default: every status")] = None,
) -> list[TicketPublic]:
    statuses = [s.value for s in status] if status else None
    with runtime.session() as session:
        found = commands.grid_tickets(session, principal=principal, statuses=statuses, limit=page.limit, offset=page.offset)
        return [to_public(t) for t in found]


@router.get("/{ticket_id}", response_model=TicketPublic, summary="One ticket with its progress timeline")
def get_ticket(ticket_id: str, principal: Reader, runtime: RuntimeDep) -> TicketPublic:
    with runtime.session() as session:
        ticket = commands.get_ticket(session, principal=principal, ticket_id=ticket_id)
        return to_public(ticket, commands.timeline(session, ticket_id))
