"""网格员 我的网格: the tickets of the grid worker's own grids (their community's when they have none), newest first,
each linked to its page; and the filing form's map: one community's grid polygons (`GET /file/grids`) and which grid a
tapped point lies in (`GET /file/locate`), both from intake, as JSON for static/grid_map.js."""
from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from libs.directory import get_directory
from libs.ticket import TicketStatus
from services.portal import grids
from services.portal.clients import BackendRejected, BackendUnavailable
from services.portal.views import BackendsDep, ResidentPage, Viewer, page_for, render

router = APIRouter(default_response_class=HTMLResponse)
GridWorkerPage = Annotated[Viewer, Depends(page_for("grid_worker"))]

PAGE_SIZE = 20
S = TicketStatus
# 我的网格's filter tabs: (value of ?show=, label, statuses asked of intake; none: every status)
GRID_TABS: tuple[tuple[str, str, tuple[TicketStatus, ...]], ...] = (
    ("all", "全部", ()),
    ("waiting", "待转哨", (S.filed, S.returned, S.reopened)),
    ("handling", "办理中", (S.dispatched, S.accepted)),
    ("done", "已办结", (S.resolved, S.settled_on_spot, S.closed, S.merged)),
)
MAP_UNAVAILABLE = "网格地图暂时无法加载，请填写地址或使用当前位置。"


@router.get("/grid")
async def my_grid(
    request: Request,
    viewer: GridWorkerPage,
    clients: BackendsDep,
    show: Annotated[str, Query(max_length=20)] = "all",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    tab = next((t for t in GRID_TABS if t[0] == show), GRID_TABS[0])
    params: list[tuple[str, str]] = [("limit", str(PAGE_SIZE + 1)), ("offset", str((page - 1) * PAGE_SIZE))]
    params += [("status", s.value) for s in tab[2]]
    found = await clients.call("intake", "GET", "/tickets/grid", token=viewer.token, params=params)
    names = await grids.grid_names(clients, viewer.token)
    return render(
        request, "grid.html", viewer, tickets=found[:PAGE_SIZE], more=len(found) > PAGE_SIZE, page=page, show=tab[0],
        tabs=GRID_TABS, grid_names=names, my_grids=viewer.principal.grid_ids or [],
    )


@router.get("/file/grids", response_class=JSONResponse, summary="我要吹哨's map: one community's grids (GeoJSON)")
async def community_grids(
    viewer: ResidentPage, clients: BackendsDep, community_id: Annotated[str, Query(max_length=40)] = ""
) -> Response:
    chosen = community_id or viewer.principal.community_id or ""
    if get_directory().community(chosen) is None:
        return JSONResponse({"error": "所属社区：请选择本街道的社区。"}, status_code=422)
    try:
        document = await grids.grid_map(clients, viewer.token)
    except (BackendUnavailable, BackendRejected):
        return JSONResponse({"error": MAP_UNAVAILABLE}, status_code=503)
    return JSONResponse(grids.community_map(document, chosen))


def _degrees(text: str, most: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and -most <= value <= most else None


@router.get("/file/locate", response_class=JSONResponse, summary="我要吹哨's map: the grid a point lies in")
async def locate(
    viewer: ResidentPage,
    clients: BackendsDep,
    latitude: Annotated[str, Query(max_length=30)] = "",
    longitude: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    lat, lng = _degrees(latitude, 90), _degrees(longitude, 180)
    if lat is None or lng is None:
        field = "纬度" if lat is None else "经度"
        return JSONResponse({"error": f"{field}：不是有效的位置。"}, status_code=422)
    try:
        place = await clients.call(
            "intake", "GET", "/grids/locate", token=viewer.token, params={"latitude": lat, "longitude": lng}
        )
    except (BackendUnavailable, BackendRejected):
        return JSONResponse({"error": "暂时无法判断所在网格，可以直接提交。"}, status_code=503)
    community = get_directory().community(place["community_id"]) if place.get("community_id") else None
    return JSONResponse({**place, "community_name": community.name if community else None})
