"""Department HTTP API: the department's worklist (部门办哨)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.errors import STATE_REFUSED
from libs.runtime.listing import TicketActions, add_worklist_routes
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
    ("My department's worklist: tabs 待办 (default) / 办结 / 已退单 / 全部, filters, search, sort", "One ticket of my department"),
    tabs=tuple(commands.WORKLIST.tabs),
)


actions = TicketActions(router, Handler, DepartmentTicketPublic)
actions.add("accept", commands.accept_ticket, summary="签收: sign for the ticket", name="accept")
actions.add("resolve", commands.resolve_ticket, ResolveRequest, summary="办结 with a note and evidence", name="resolve")
actions.add("return", commands.return_ticket, ReturnRequest, summary="退单: return a misrouted ticket")
actions.add("contact", commands.contact_resident, ContactRequest | None, summary="先行联系: record contacting the resident", name="contact")


@router.post(
    "/tickets/{ticket_id}/extension", response_model=DepartmentTicketPublic, summary="延期申请: ask for more time",
    responses=STATE_REFUSED,
)
def request_extension(ticket_id: str, body: ExtensionRequest, principal: Handler, runtime: RuntimeDep) -> DepartmentTicketPublic:
    return to_public(runtime.run(commands.request_extension, principal=principal, ticket_id=ticket_id, body=body))
