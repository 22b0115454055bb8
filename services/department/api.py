"""Department HTTP API: the department's worklist (部门办哨)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.ticket import TicketStatus
from services.department import commands
from services.department.models import (
    ContactRequest,
    DepartmentTicket,
    DepartmentTicketPublic,
    ExtensionRequest,
    ResolveRequest,
    ReturnRequest,
)

router = APIRouter(tags=["department"])

Handler = Annotated[Principal, Depends(require("department_staff", "admin"))]
Viewer = Annotated[Principal, Depends(require("department_staff", "supervisor", "leader", "admin"))]


def to_public(ticket: DepartmentTicket) -> DepartmentTicketPublic:
    return ticket.public(DepartmentTicketPublic)


@router.get("/tickets", response_model=list[DepartmentTicketPublic], summary="My department's worklist (default: open)")
def list_tickets(
    principal: Viewer,
    runtime: RuntimeDep,
    department_id: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[list[TicketStatus] | None, Query(description="Filter; default dispatched, accepted")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DepartmentTicketPublic]:
    with runtime.session() as session:
        tickets = commands.list_tickets(
            session, principal=principal, holder_id=department_id, statuses=status, limit=limit, offset=offset
        )
        return [to_public(t) for t in tickets]


@router.get("/tickets/{ticket_id}", response_model=DepartmentTicketPublic, summary="One ticket of my department")
def get_ticket(ticket_id: str, principal: Viewer, runtime: RuntimeDep) -> DepartmentTicketPublic:
    with runtime.session() as session:
        return to_public(commands.get_ticket(session, principal=principal, ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/accept", response_model=DepartmentTicketPublic, summary="签收: sign for the ticket")
def accept(ticket_id: str, principal: Handler, runtime: RuntimeDep) -> DepartmentTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        return to_public(commands.accept_ticket(session, principal=principal, ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/resolve", response_model=DepartmentTicketPublic, summary="办结 with a note and evidence")
def resolve(ticket_id: str, body: ResolveRequest, principal: Handler, runtime: RuntimeDep) -> DepartmentTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        return to_public(
            commands.resolve_ticket(session, principal=principal, ticket_id=ticket_id, note=body.note, evidence=body.evidence)
        )


@router.post("/tickets/{ticket_id}/return", response_model=DepartmentTicketPublic, summary="退单: return a misrouted ticket")
def return_ticket(ticket_id: str, body: ReturnRequest, principal: Handler, runtime: RuntimeDep) -> DepartmentTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        return to_public(commands.return_ticket(session, principal=principal, ticket_id=ticket_id, reason=body.reason))


@router.post("/tickets/{ticket_id}/contact", response_model=DepartmentTicketPublic, summary="先行联系: record contacting the resident")
def contact(
    ticket_id: str, principal: Handler, runtime: RuntimeDep, body: ContactRequest | None = None
) -> DepartmentTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        return to_public(
            commands.contact_resident(session, principal=principal, ticket_id=ticket_id, note=body.note if body else None)
        )


@router.post("/tickets/{ticket_id}/extension", response_model=DepartmentTicketPublic, summary="延期申请: ask for more time")
def request_extension(
    ticket_id: str, body: ExtensionRequest, principal: Handler, runtime: RuntimeDep
) -> DepartmentTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        return to_public(commands.request_extension(session, principal=principal, ticket_id=ticket_id, body=body))
