"""Community staff 社区转哨: the queue and what was dispatched; dispatch, settle on the spot (即办), merge duplicates;
supervisors also suspend and resume a ticket's deadlines."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from libs.ticket import TicketStatus
from services.portal.actions import TicketActions
from services.portal.forms import ConsoleTab, DispatchForm, MergeForm, OutcomeForm, ResumeForm, SuspendForm
from services.portal.views import BackendsDep, ConsolePage, MergePage, SupervisorOnly, render

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
    return render(request, "console.html", viewer, tickets=tickets, tab=tab)


actions = TicketActions(router, "/console", "dispatch", ConsolePage)
actions.add("dispatch", DispatchForm, ok="dispatched")  # 派单 / 改派
actions.add("settle", OutcomeForm, ok="settled")  # 即办
actions.add("merge", MergeForm, ok="merged", viewer=MergePage)  # 合并: a duplicate joins the ticket it repeats
actions.add("suspend", SuspendForm, ok="suspended", viewer=SupervisorOnly)  # 挂起: every deadline stops
actions.add("resume", ResumeForm, ok="resumed", viewer=SupervisorOnly)  # 恢复: deadlines run again
