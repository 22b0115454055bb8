"""吹哨报到 in the portal: 发起吹哨报到 on the community console (a button on the ticket, a short form: the lead
prefilled, co-department checkboxes, reason presets) and, for departments, their summons tasks on top of the worklist
with a countdown, 到场报到 (the phone's position through navigator.geolocation, or a note without one) and 任务完成.

The console's part is the partial _summons_console.html (it reads the selected ticket's `summons`); the worklist's is a
slot (_summons_worklist_slot.html) that summons.js fills from GET /worklist/summons/panel, and GET /worklist/summons is
the same list as a page of its own (without script, or as a link). The leadership dashboard's slot
(_summons_dashboard_slot.html) shows how many summonses and each department's on-time check-in rate the same way."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.actions import TicketActions
from services.portal.forms import Posted
from services.portal.summons_forms import REASON_PRESETS, CheckInForm, CompleteForm, SummonsForm
from services.portal.views import TEMPLATES, BackendsDep, ConsolePage, DashboardPage, Viewer, WorklistPage, redirect, render

router = APIRouter(default_response_class=HTMLResponse)
TEMPLATES.env.globals.update(summons_reasons=REASON_PRESETS)  # the console form's 吹哨事由 presets

# POST /console/{ticket_id}/summons → dispatch's POST /tickets/{ticket_id}/summons, back to the same ticket.
console_actions = TicketActions(router, "/console", "dispatch", ConsolePage, back_to="/console?selected={ticket_id}")
console_actions.add("summons", SummonsForm, ok="summoned")


def countdown(seconds: int) -> str:
    """剩余 12分05秒 / 已超时 3分00秒 (what the page says before summons.js takes over the countdown)."""
    left = abs(seconds)
    hours, rest = divmod(left, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}小时" if hours else "") + f"{minutes}分{secs:02d}秒"
    return f"剩余 {text}" if seconds >= 0 else f"已超时 {text}"


async def _tasks(clients: BackendsDep, viewer: Viewer) -> list[dict[str, Any]]:
    if viewer.role != "department_staff":
        return []  # an admin has no department to be summoned
    tasks = await clients.call("department", "GET", "/summons", token=viewer.token, params={"open": "true"})
    for task in tasks:
        task["countdown"] = countdown(task["seconds_to_on_site_due"])
    return tasks


@router.get("/worklist/summons")
async def summons_page(request: Request, viewer: WorklistPage, clients: BackendsDep) -> Response:
    return render(request, "summons_tasks.html", viewer, tasks=await _tasks(clients, viewer), now=datetime.now(timezone.utc))


@router.get("/worklist/summons/panel")
async def summons_panel(request: Request, viewer: WorklistPage, clients: BackendsDep) -> Response:
    """The tasks alone, for the slot at the top of the worklist."""
    return render(request, "_summons_tasks.html", viewer, tasks=await _tasks(clients, viewer))


@router.post("/worklist/summons/{summons_id}/check-in")
async def check_in(summons_id: str, viewer: WorklistPage, clients: BackendsDep, form: Posted[CheckInForm]) -> Response:
    await clients.call("department", "POST", f"/summons/{quote(summons_id)}/check-in", token=viewer.token, json=form.body())
    return redirect("/worklist?ok=checked_in")


@router.post("/worklist/summons/{summons_id}/complete")
async def complete(summons_id: str, viewer: WorklistPage, clients: BackendsDep, form: Posted[CompleteForm]) -> Response:
    await clients.call("department", "POST", f"/summons/{quote(summons_id)}/complete", token=viewer.token, json=form.body())
    return redirect("/worklist?ok=task_done")


# --------------------------------------------------------------------------- the leadership dashboard


@router.get("/dashboard/summons")
async def summons_stats_page(request: Request, viewer: DashboardPage, clients: BackendsDep) -> Response:
    stats = await clients.call("dashboard", "GET", "/summons/stats", token=viewer.token)
    return render(request, "summons_stats.html", viewer, stats=stats)


@router.get("/dashboard/summons/panel")
async def summons_stats_panel(request: Request, viewer: DashboardPage, clients: BackendsDep) -> Response:
    """How many summonses and each department's on-time check-in rate, for the dashboard's slot."""
    stats = await clients.call("dashboard", "GET", "/summons/stats", token=viewer.token)
    return render(request, "_summons_stats.html", viewer, stats=stats)
