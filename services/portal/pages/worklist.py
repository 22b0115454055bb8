"""Department staff 部门办哨: the worklist; accept (签收), contact the resident first (先行联系), ask for an extension
(延期), resolve (办结), or return a misrouted ticket (退单)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.views import BackendsDep, ExtensionUnit, WorklistPage, redirect, render, ticket_action

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/worklist")
async def worklist(request: Request, viewer: WorklistPage, clients: BackendsDep) -> Response:
    tickets = await clients.call("department", "GET", "/tickets", token=viewer.token, params={"limit": 200})
    tickets.sort(key=lambda t: (-t.get("escalation_level", 0), t.get("dispatched_at") or ""))
    return render(request, "worklist.html", viewer, tickets=tickets)


@router.post("/worklist/{ticket_id}/accept")
async def accept_ticket(ticket_id: str, viewer: WorklistPage, clients: BackendsDep) -> Response:
    await ticket_action(clients, viewer, "department", ticket_id, "accept")
    return redirect("/worklist?ok=accepted")


@router.post("/worklist/{ticket_id}/resolve")
async def resolve_ticket(
    ticket_id: str, viewer: WorklistPage, clients: BackendsDep, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    await ticket_action(clients, viewer, "department", ticket_id, "resolve", {"note": note.strip(), "evidence": []})
    return redirect("/worklist?ok=resolved")


@router.post("/worklist/{ticket_id}/return")
async def return_ticket(  # 退单
    ticket_id: str, viewer: WorklistPage, clients: BackendsDep, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    await ticket_action(clients, viewer, "department", ticket_id, "return", {"reason": reason.strip()})
    return redirect("/worklist?ok=returned")


@router.post("/worklist/{ticket_id}/contact")
async def contact_resident(  # 先行联系
    ticket_id: str, viewer: WorklistPage, clients: BackendsDep, note: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    await ticket_action(clients, viewer, "department", ticket_id, "contact", {"note": note.strip() or None})
    return redirect("/worklist?ok=contacted")


@router.post("/worklist/{ticket_id}/extension")
async def request_extension(  # 延期申请
    ticket_id: str,
    viewer: WorklistPage,
    clients: BackendsDep,
    amount: Annotated[float, Form(gt=0, le=365)],
    unit: Annotated[ExtensionUnit, Form()],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    body = {"amount": amount, "unit": unit, "reason": reason.strip()}
    await ticket_action(clients, viewer, "department", ticket_id, "extension", body)
    return redirect("/worklist?ok=extension")
