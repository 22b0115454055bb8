"""Community staff 社区转哨: the queue and what was dispatched; dispatch, settle on the spot (即办), merge duplicates;
supervisors also suspend and resume a ticket's deadlines."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from libs.ticket import TicketStatus
from services.portal.views import BackendsDep, ConsolePage, MergePage, SupervisorOnly, redirect, render, ticket_action

router = APIRouter(default_response_class=HTMLResponse)

TABS = ("queue", "dispatched")
# What the 已派单 tab asks dispatch for.
DISPATCHED_TAB_STATUSES = (
    TicketStatus.dispatched, TicketStatus.accepted, TicketStatus.resolved, TicketStatus.settled_on_spot,
)


def _console_tab(tab: str) -> str:
    return tab if tab in TABS else "queue"


@router.get("/console")
async def console(request: Request, viewer: ConsolePage, clients: BackendsDep, tab: str = "queue") -> Response:
    tab = _console_tab(tab)
    params: list[tuple[str, str]] = [("limit", "200")]
    if tab == "dispatched":
        params += [("status", status.value) for status in DISPATCHED_TAB_STATUSES]
    tickets = await clients.call("dispatch", "GET", "/tickets", token=viewer.token, params=params)
    return render(request, "console.html", viewer, tickets=tickets, tab=tab)


@router.post("/console/{ticket_id}/dispatch")
async def dispatch_ticket(
    ticket_id: str,
    viewer: ConsolePage,
    clients: BackendsDep,
    department_id: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    body = {"department_id": department_id, "note": note.strip() or None}
    await ticket_action(clients, viewer, "dispatch", ticket_id, "dispatch", body)
    return redirect("/console?ok=dispatched")


@router.post("/console/{ticket_id}/settle")
async def settle_on_spot(  # 即办
    ticket_id: str,
    viewer: ConsolePage,
    clients: BackendsDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    await ticket_action(clients, viewer, "dispatch", ticket_id, "settle", {"note": note.strip()})
    return redirect("/console?ok=settled")


@router.post("/console/{ticket_id}/merge")
async def merge_ticket(  # 合并: a duplicate joins the ticket it repeats
    ticket_id: str,
    viewer: MergePage,
    clients: BackendsDep,
    into_ticket_id: Annotated[str, Form(max_length=40)],
) -> Response:
    await ticket_action(clients, viewer, "dispatch", ticket_id, "merge", {"into_ticket_id": into_ticket_id.strip()})
    return redirect("/console?ok=merged")


@router.post("/console/{ticket_id}/suspend")
async def suspend_ticket(  # 挂起 (supervisor): every deadline stops
    ticket_id: str,
    viewer: SupervisorOnly,
    clients: BackendsDep,
    reason: Annotated[str, Form(max_length=500)],
    back: Annotated[str, Form(max_length=40)] = "queue",
) -> Response:
    await ticket_action(clients, viewer, "dispatch", ticket_id, "suspend", {"reason": reason.strip()})
    return redirect(f"/console?tab={_console_tab(back)}&ok=suspended")


@router.post("/console/{ticket_id}/resume")
async def resume_ticket(  # 恢复 (supervisor): deadlines run again
    ticket_id: str,
    viewer: SupervisorOnly,
    clients: BackendsDep,
    note: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=40)] = "queue",
) -> Response:
    await ticket_action(clients, viewer, "dispatch", ticket_id, "resume", {"note": note.strip() or None})
    return redirect(f"/console?tab={_console_tab(back)}&ok=resumed")
