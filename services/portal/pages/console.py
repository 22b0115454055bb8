"""Community staff 社区转哨: the queue and what was dispatched; dispatch, settle on the spot (即办), merge duplicates;
supervisors also suspend and resume a ticket's deadlines."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from libs.ticket import TicketStatus
from services.portal.actions import TicketActions
from services.portal.clients import BackendRejected, Backends
from services.portal.grids import grid_names
from services.portal.forms import CategoryForm, ConsoleTab, DispatchForm, MergeForm, OutcomeForm, ResumeForm, SuspendForm
from services.portal.views import BackendsDep, ConsolePage, Viewer, MergePage, SupervisorOnly, render

router = APIRouter(default_response_class=HTMLResponse)

# What the 已派单 tab asks dispatch for.
DISPATCHED_TAB_STATUSES = (
    TicketStatus.dispatched, TicketStatus.accepted, TicketStatus.resolved, TicketStatus.settled_on_spot,
)


@router.get("/console")
async def console(
    request: Request, viewer: ConsolePage, clients: BackendsDep, tab: Annotated[ConsoleTab, Query()] = "queue"
) -> Response:
    params: list[tuple[str, str]] = [("limit", "200")]
    if tab == "dispatched":
        params += [("status", status.value) for status in DISPATCHED_TAB_STATUSES]
    tickets = await clients.call("dispatch", "GET", "/tickets", token=viewer.token, params=params)
    duplicates = await _duplicate_hints(clients, viewer, tickets) if tab == "queue" else {}
    names = await grid_names(clients, viewer.token) if any(t.get("grid_id") for t in tickets) else {}
    return render(request, "console.html", viewer, tickets=tickets, tab=tab, duplicates=duplicates, grid_names=names)


async def _duplicate_hints(clients: Backends, viewer: Viewer, tickets: list[dict[str, Any]]) -> dict[str, Any]:
    """疑似重复 of the queue in one call, for the tickets with a position (only they can be near another). Hints are
    advice: when dispatch refuses them, the page is shown without."""
    placed = [t["id"] for t in tickets if t.get("latitude") is not None]
    if not placed:
        return {}
    try:
        return await clients.call("dispatch", "GET", "/duplicates", token=viewer.token, params=[("ticket_id", i) for i in placed])
    except BackendRejected:
        return {}


actions = TicketActions(router, "/console", "dispatch", ConsolePage)
actions.add("dispatch", DispatchForm, ok="dispatched")  # 派单 / 改派
actions.add("settle", OutcomeForm, ok="settled")  # 即办
actions.add("category", CategoryForm, ok="recategorized")  # 分类调整: the proposed department follows
actions.add("merge", MergeForm, ok="merged", viewer=MergePage)  # 合并: a duplicate joins the ticket it repeats
actions.add("suspend", SuspendForm, ok="suspended", viewer=SupervisorOnly)  # 挂起: every deadline stops
actions.add("resume", ResumeForm, ok="resumed", viewer=SupervisorOnly)  # 恢复: deadlines run again
