"""Community staff 社区转哨: the queue and every earlier ticket (tabs 待转哨 / 办理中 / 办结 / 已退单 / 全部 with their
counts, search, filters, sort, pages) beside the selected ticket with its deadlines and actions: dispatch, settle on
the spot (即办), change the category, merge duplicates; supervisors also suspend and resume a ticket's deadlines."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from services.portal.actions import TicketActions
from services.portal.clients import BackendRejected, Backends
from services.portal.forms import CategoryForm, DispatchForm, MergeForm, OutcomeForm, ResumeForm, SuspendForm
from services.portal.grids import community_map, grid_map, grid_names
from services.portal.lists import FLAGS, SORTS, ListQuery, load_list
from services.portal.reward_forms import HazardForm
from services.portal.views import BackendsDep, ConsolePage, MergePage, SupervisorOnly, Viewer, render

router = APIRouter(default_response_class=HTMLResponse)

CONSOLE_TABS = ("queue", "handling", "done", "returned", "all")
TAB_LABELS = {"queue": "待转哨", "handling": "办理中", "done": "办结", "returned": "已退单", "all": "全部"}
OLD_TABS = {"dispatched": "handling"}  # links from before the history tabs
TRIAGE_STATUSES = frozenset({"filed", "returned", "reopened"})  # the community holds the ticket and acts on it


@router.get("/console")
async def console(request: Request, viewer: ConsolePage, clients: BackendsDep) -> Response:
    query = ListQuery.read(request.query_params, CONSOLE_TABS, OLD_TABS)
    listed = await load_list(clients, "dispatch", viewer.token, query)
    selected, missing = await _selected(clients, viewer, query, listed.tickets)
    duplicates = await _duplicate_hints(clients, viewer, listed.tickets, selected)
    names = await grid_names(clients, viewer.token)
    return render(
        request, "console.html", viewer, lp=listed, selected=selected, missing=missing, duplicates=duplicates,
        grid_names=names, tab_labels=TAB_LABELS, list_sorts=SORTS, list_flags=FLAGS, triage_statuses=TRIAGE_STATUSES,
        own_grids=await _own_grids(clients, viewer, names),
    )


async def _own_grids(clients: Backends, viewer: Viewer, names: dict[str, str]) -> dict[str, str]:
    """The grids the 网格 filter offers: the staff's community's, a supervisor's street's (every grid for leaders)."""
    community_id = viewer.principal.community_id
    if viewer.role == "supervisor":
        street = {g for c in get_directory().communities_of(viewer.principal.street_id) for g in c.grids}
        return {grid: name for grid, name in names.items() if grid in street}
    if not community_id or not names:
        return names
    features = community_map(await grid_map(clients, viewer.token), community_id)["features"]
    return {f["properties"]["grid_id"]: names.get(f["properties"]["grid_id"], "") for f in features}


async def _selected(
    clients: Backends, viewer: Viewer, query: ListQuery, tickets: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, str | None]:
    """The ticket beside the list: the one asked for (wherever it is: a search result, another tab), else the
    first of the list. A ticket the community cannot see is named as not found."""
    if not query.selected:
        return (tickets[0] if tickets else None), None
    shown = next((t for t in tickets if t["id"] == query.selected), None)
    if shown is not None:
        return shown, None
    try:
        return await clients.call("dispatch", "GET", f"/tickets/{quote(query.selected)}", token=viewer.token), None
    except BackendRejected as exc:
        if exc.status_code in (403, 404):
            return None, query.selected
        raise


async def _duplicate_hints(
    clients: Backends, viewer: Viewer, tickets: list[dict[str, Any]], selected: dict[str, Any] | None
) -> dict[str, list[dict[str, Any]]]:
    """疑似重复 of the listed (and the selected) tickets the community holds, in one call; only a placed ticket can be
    near another. Hints are advice: when dispatch refuses them, the page is shown without."""
    shown = [*tickets, *([selected] if selected and selected not in tickets else [])]
    placed = [t["id"] for t in shown if t.get("latitude") is not None and t.get("status") in TRIAGE_STATUSES]
    if not placed:
        return {}
    try:
        return await clients.call("dispatch", "GET", "/duplicates", token=viewer.token, params=[("ticket_id", i) for i in placed])
    except BackendRejected:
        return {}


# After acting, the same ticket stays beside the list, showing what changed.
actions = TicketActions(router, "/console", "dispatch", ConsolePage, back_to="/console?selected={ticket_id}")
actions.add("dispatch", DispatchForm, ok="dispatched")  # 派单 / 改派
actions.add("settle", OutcomeForm, ok="settled")  # 即办
actions.add("verify-hazard", HazardForm, ok="hazard_verified")  # 确认隐患: the reporter earns points
actions.add("category", CategoryForm, ok="recategorized")  # 分类调整: the proposed department follows
actions.add("merge", MergeForm, ok="merged", viewer=MergePage)  # 合并: a duplicate joins the ticket it repeats
actions.add("suspend", SuspendForm, ok="suspended", viewer=SupervisorOnly)  # 挂起: every deadline stops
actions.add("resume", ResumeForm, ok="resumed", viewer=SupervisorOnly)  # 恢复: deadlines run again
