"""Dispatch HTTP API: the community console (社区转哨)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.directory import Department, get_directory
from libs.runtime import RuntimeDep
from libs.statemachine.ticket import STATUS_LABELS_ZH, TicketStatus
from services.dispatch import commands
from services.dispatch.models import DispatchRequest, DispatchTicket, DispatchTicketPublic, SettleRequest

router = APIRouter(tags=["dispatch"])

Staff = Annotated[Principal, Depends(require("community_staff", "supervisor", "admin"))]
Viewer = Annotated[Principal, Depends(require("community_staff", "supervisor", "leader", "admin"))]


def to_public(ticket: DispatchTicket) -> DispatchTicketPublic:
    return DispatchTicketPublic(**ticket.model_dump(), status_label=STATUS_LABELS_ZH[TicketStatus(ticket.status)])


@router.get("/tickets", response_model=list[DispatchTicketPublic], summary="The community's tickets (default: waiting for triage)")
def list_tickets(
    principal: Viewer,
    runtime: RuntimeDep,
    community_id: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[
        list[TicketStatus] | None, Query(description="Filter; default filed, returned, reopened (待转哨)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DispatchTicketPublic]:
    statuses = [s.value for s in status] if status else ["filed", "returned", "reopened"]
    with runtime.session() as session:
        tickets = commands.list_tickets(
            session, principal=principal, community_id=community_id, statuses=statuses, limit=limit, offset=offset
        )
        return [to_public(t) for t in tickets]


@router.get("/tickets/{ticket_id}", response_model=DispatchTicketPublic, summary="One ticket in the community's view")
def get_ticket(ticket_id: str, principal: Viewer, runtime: RuntimeDep) -> DispatchTicketPublic:
    with runtime.session() as session:
        return to_public(commands.get_ticket(session, principal=principal, ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/dispatch", response_model=DispatchTicketPublic, summary="派单 / 改派 to a department")
def dispatch_ticket(ticket_id: str, body: DispatchRequest, principal: Staff, runtime: RuntimeDep) -> DispatchTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        ticket = commands.dispatch_ticket(
            session, principal=principal, ticket_id=ticket_id, department_id=body.department_id, note=body.note
        )
        return to_public(ticket)


@router.post("/tickets/{ticket_id}/settle", response_model=DispatchTicketPublic, summary="即办: settle on the spot")
def settle_on_spot(ticket_id: str, body: SettleRequest, principal: Staff, runtime: RuntimeDep) -> DispatchTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        return to_public(commands.settle_on_spot(session, principal=principal, ticket_id=ticket_id, note=body.note))


@router.get("/departments", response_model=list[Department], summary="Departments a ticket can be dispatched to")
def departments(_principal: Viewer) -> list[Department]:
    return get_directory().departments
