"""Department HTTP API: the department's worklist (部门办哨)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.listing import add_worklist_routes
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


add_worklist_routes(
    router, "department", Viewer, DepartmentTicketPublic, commands,
    ("My department's worklist (default: open)", "One ticket of my department"),
)


@router.post("/tickets/{ticket_id}/accept", response_model=DepartmentTicketPublic, summary="签收: sign for the ticket")
def accept(ticket_id: str, principal: Handler, runtime: RuntimeDep) -> DepartmentTicketPublic:
    return to_public(runtime.run(commands.accept_ticket, principal=principal, ticket_id=ticket_id))


@router.post("/tickets/{ticket_id}/resolve", response_model=DepartmentTicketPublic, summary="办结 with a note and evidence")
def resolve(ticket_id: str, body: ResolveRequest, principal: Handler, runtime: RuntimeDep) -> DepartmentTicketPublic:
    return to_public(
        runtime.run(
            commands.resolve_ticket, principal=principal, ticket_id=ticket_id, note=body.note, evidence=body.evidence
        )
    )


@router.post("/tickets/{ticket_id}/return", response_model=DepartmentTicketPublic, summary="退单: return a misrouted ticket")
def return_ticket(ticket_id: str, body: ReturnRequest, principal: Handler, runtime: RuntimeDep) -> DepartmentTicketPublic:
    return to_public(runtime.run(commands.return_ticket, principal=principal, ticket_id=ticket_id, reason=body.reason))


@router.post("/tickets/{ticket_id}/contact", response_model=DepartmentTicketPublic, summary="先行联系: record contacting the resident")
def contact(
    ticket_id: str, principal: Handler, runtime: RuntimeDep, body: ContactRequest | None = None
) -> DepartmentTicketPublic:
    return to_public(runtime.run(commands.contact_resident, principal=principal, ticket_id=ticket_id, note=body and body.note))


@router.post("/tickets/{ticket_id}/extension", response_model=DepartmentTicketPublic, summary="延期申请: ask for more time")
def request_extension(ticket_id: str, body: ExtensionRequest, principal: Handler, runtime: RuntimeDep) -> DepartmentTicketPublic:
    return to_public(runtime.run(commands.request_extension, principal=principal, ticket_id=ticket_id, body=body))
