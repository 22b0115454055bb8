"""政务公开 (no login): a month's 三率 of the district, the rankings per street (their communities) and per department,
wishes fulfilled and points credited per community, with links to each community's 心愿墙 and 积分公示. Aggregates only:
the page shows rates, counts and the names of streets, communities and departments, never a person.

The figures are the dashboard's (GET /summary, /rankings, /wishes/stats), asked with a short-lived read token of the
portal's own and kept PUBLIC_CACHE_SECONDS per month, so anonymous traffic never reaches the dashboard at its own
rate. Per-street rates come from `/rankings?by=street` once the dashboard offers it; until then a street's block
lists its communities' rows (the district's own figures stand above them)."""
from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.auth import Principal, mint_token
from libs.directory import get_directory
from libs.sla.calendar import BEIJING
from services.portal.clients import BackendRejected, BackendUnavailable, Backends
from services.portal.views import BackendsDep, optional_viewer, render

router = APIRouter(default_response_class=HTMLResponse)
MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
PUBLIC_CACHE_SECONDS = 60.0
RATES = (("response_rate", "响应率"), ("resolution_rate", "解决率"), ("satisfaction_rate", "满意率"), ("closure_rate", "办结率"),
         ("on_time_rate", "按时办结率"))
_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _token() -> str:
    return mint_token(Principal(sub="portal-public", role="leader", name="政务公开"), ttl_seconds=60)


async def _rankings(clients: Backends, by: str, day: str) -> list[dict[str, Any]] | None:
    try:
        return await clients.call("dashboard", "GET", "/rankings", token=_token(), params={"by": by, "period": "month", "date": day})
    except BackendRejected:
        return None  # a dimension the dashboard does not rank (yet)


def _public_row(row: dict[str, Any]) -> dict[str, Any]:
    """Only what the page may show of a ranking row: name, rank, change of rank, ticket count, rates."""
    rates = row.get("rates") or {}
    return {"scope": row.get("scope", ""), "name": row.get("name") or row.get("scope", ""), "rank": row.get("rank"),
            "rank_change": row.get("rank_change"), "filed": row.get("filed", 0),
            "rates": {key: rates.get(key) for key, _ in (*RATES, ("score", ""))}}


async def figures(clients: Backends, month: str) -> dict[str, Any]:
    cached = _cache.get(month)
    if cached and time.monotonic() - cached[0] < PUBLIC_CACHE_SECONDS:
        return cached[1]
    day = f"{month}-01"
    summary = await clients.call("dashboard", "GET", "/summary", token=_token(), params={"scope": "all", "period": "month", "date": day})
    communities = [_public_row(r) for r in await _rankings(clients, "community", day) or []]
    departments = [_public_row(r) for r in await _rankings(clients, "department", day) or []]
    streets = await _rankings(clients, "street", day)
    wishes = await clients.call("dashboard", "GET", "/wishes/stats", token=_token(), params={"period": "month", "date": day})
    directory = get_directory()
    by_community = {r["scope"].removeprefix("community:"): r for r in communities}
    blocks = []
    for street in directory.streets:
        rows = [by_community[c.id] for c in directory.communities_of(street.id) if c.id in by_community]
        own = next((_public_row(r) for r in streets or [] if r.get("scope") == f"street:{street.id}"), None)
        blocks.append({"id": street.id, "name": street.name, "figures": own, "communities": sorted(rows, key=lambda r: r["rank"] or 0)})
    wish_rows = {w["community_id"]: w for w in wishes.get("communities") or []}
    shown = {
        "period": (summary.get("period") or {}).get("label") or month,
        "filed": summary.get("filed", 0),
        "rates": {key: (summary.get("rates") or {}).get(key) for key, _ in RATES},
        "streets": blocks, "departments": departments,
        "wishes": {"posted": wishes.get("posted", 0), "fulfilled": wishes.get("fulfilled", 0), "confirmed": wishes.get("confirmed", 0),
                   "points": wishes.get("points_credited", 0), "hours": wishes.get("hours_credited", 0),
                   "volunteers": wishes.get("active_volunteers", 0)},
        "wish_communities": [
            {"id": c.id, "name": c.name, "street": directory.street(c.street).name if directory.street(c.street) else "",
             "fulfilled": (wish_rows.get(c.id) or {}).get("fulfilled", 0), "points": (wish_rows.get(c.id) or {}).get("points_credited", 0)}
            for c in directory.communities
        ],
    }
    _cache[month] = (time.monotonic(), shown)
    return shown


@router.get("/public", responses={422: {"description": "月份格式不正确"}})
async def public_page(request: Request, clients: BackendsDep) -> Response:
    """政务公开: no login; `?month=YYYY-MM` (default this month, Beijing time)."""
    viewer = optional_viewer(request)
    this_month = datetime.now(BEIJING).strftime("%Y-%m")
    month = (request.query_params.get("month") or this_month).strip()
    if not MONTH.match(month) or month > this_month:
        return render(request, "public.html", viewer, status_code=422, month=month, this_month=this_month, shown=None,
                      error="月份：请按“2026-11”的格式选择本月或以前的月份", rates=RATES)
    try:
        shown = await figures(clients, month)
    except (BackendRejected, BackendUnavailable):
        return render(request, "public.html", viewer, status_code=503, month=month, this_month=this_month, shown=None,
                      error="统计数据暂时无法获取，请稍后再试", rates=RATES)
    return render(request, "public.html", viewer, month=month, this_month=this_month, shown=shown, error=None, rates=RATES)
