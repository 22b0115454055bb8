"""Leadership 数据大屏: a period's 三率 and more (gauges, with 环比 and 同比), trend lines, rankings by community, department,
category, grid, channel and kind with the rank change, the grid map coloured by open tickets, overdue and escalated lists,
hot issues and 每月一题, what each rate means, the daily digest and the monthly ranking history. Figures are rendered on
the server (they read without JavaScript); community and department staff open it too and see their own community's or
department's figures only (the dashboard service scopes every answer; hot issues and history are leadership's); ECharts (vendored from npm) draws the charts and `/dashboard/data.json` is
polled so the screen follows without a reload. Drill-down, exports and topics: dashboard_more.py."""
from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from libs.directory import get_directory
from services.portal import grids
from services.portal.clients import BackendRejected, Backends, BackendUnavailable
from services.portal.forms import ReportDates
from services.portal.pages import dashboard_more
from services.portal.views import TEMPLATES, BackendsDep, DashboardPage, Viewer, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)
router.include_router(dashboard_more.router)
PERIODS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年", "custom": "自定义"}
DIMENSIONS = {"community": "社区", "department": "部门", "category": "类别", "grid": "网格", "channel": "渠道", "kind": "类型"}
POLL_SECONDS = 30
LEADERSHIP = ("leader", "supervisor", "admin")
# Staff see their own figures only (the dashboard service scopes every answer): their own row of one ranking.
STAFF_DIMENSION = {"community_staff": "community", "department_staff": "department"}


class PeriodQuery(BaseModel):
    """The period picker: 日/周/月/季度/年 around a day, or 自定义 from..to (checked by the dashboard service)."""

    period: Literal["day", "week", "month", "quarter", "year", "custom"] = "month"
    date: str = Field("", max_length=10)
    start: str = Field("", max_length=10)
    end: str = Field("", max_length=10)

    def params(self) -> dict[str, str]:
        chosen = {"period": self.period}
        if self.period == "custom":
            chosen |= {"start": self.start, "end": self.end}
        elif self.date:
            chosen["date"] = self.date
        return chosen


async def _optional(clients: Backends, viewer: Viewer, path: str, params: dict[str, Any] | None = None) -> tuple[Any, str | None]:
    """A section that may be refused (a bad date, a role without it) without breaking the page: ([] , message)."""
    try:
        return await clients.call("dashboard", "GET", path, token=viewer.token, params=params), None
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return [], rejection_message(exc, "查询未成功")


async def _figures(clients: Backends, viewer: Viewer, period: dict[str, str]) -> tuple[dict, dict[str, str], str | None]:
    """The period's summary; a period the service refuses falls back to this month, with the reason."""
    try:
        return await clients.call("dashboard", "GET", "/summary", token=viewer.token, params=period), period, None
    except BackendRejected as exc:
        if exc.status_code != 422:
            raise
        fallback = {"period": "month"}
        summary = await clients.call("dashboard", "GET", "/summary", token=viewer.token, params=fallback)
        return summary, fallback, rejection_message(exc, "周期有误")


@router.get("/dashboard")
async def dashboard(
    request: Request, viewer: DashboardPage, clients: BackendsDep, dates: Annotated[ReportDates, Query()],
    chosen: Annotated[PeriodQuery, Query()],
) -> Response:
    summary, period, period_error = await _figures(clients, viewer, chosen.params())
    leadership = viewer.role in LEADERSHIP
    dimensions = DIMENSIONS if leadership else {k: v for k, v in DIMENSIONS.items() if k == STAFF_DIMENSION.get(viewer.role)}
    rankings = await asyncio.gather(*(
        clients.call("dashboard", "GET", "/rankings", token=viewer.token, params={**period, "by": by}) for by in dimensions
    ))
    escalated = await clients.call("dashboard", "GET", "/escalated", token=viewer.token, params={"limit": 50})
    (overdue, _), (definitions, _) = await asyncio.gather(
        _optional(clients, viewer, "/overdue", {"limit": 50}), _optional(clients, viewer, "/definitions"))
    hot30 = hot7 = repeated = topics = history = []
    method, history_error = {}, None
    if leadership:  # hot issues, 每月一题 and the monthly ranking history are the whole district's
        (hot30, _), (hot7, _), (repeated, _), (topics, _), (method, _) = await asyncio.gather(
            _optional(clients, viewer, "/hot", {"window": 30}), _optional(clients, viewer, "/hot", {"window": 7}),
            _optional(clients, viewer, "/repeated"), _optional(clients, viewer, "/topics"), _optional(clients, viewer, "/hot/method"),
        )
        history, history_error = await _optional(clients, viewer, "/rankings/history", {"month": dates.month})
    digests, digest_error = await _optional(clients, viewer, "/digests", {"day": dates.day})
    wishes, wishes_error = ({}, None) if viewer.role == "department_staff" else await _optional(clients, viewer, "/wishes/stats", period)
    rankings = [[_complete(row, i) for i, row in enumerate(rows, start=1)] for rows in rankings]
    return render(
        request, "dashboard.html", viewer, leadership=leadership,
        summary=_complete(summary), period=period, picker=chosen, period_error=period_error, periods=PERIODS,
        rankings=dict(zip(dimensions, rankings)), dimensions=dimensions, escalated=escalated, overdue=overdue,
        definitions=definitions or {}, hot30=hot30, hot7=hot7, repeated=repeated, topics=topics, hot_method=method or {},
        day=dates.day, month=dates.month, digests=digests, digest_error=digest_error, history=history,
        history_error=history_error, query=_query(period), poll_seconds=POLL_SECONDS,
        wishes=wishes or {}, wishes_error=wishes_error,
    )


RATE_KEYS = ("response_rate", "resolution_rate", "satisfaction_rate", "closure_rate", "on_time_rate", "overdue_rate",
             "return_rate", "reopen_rate", "avg_handling_hours", "summons_on_time_rate", "score")


def _complete(row: dict[str, Any], rank: int | None = None) -> dict[str, Any]:
    """A summary or ranking row with every field the page shows (an older dashboard answers fewer: shown as —)."""
    rates = row.setdefault("rates", {})
    for key in RATE_KEYS:
        rates.setdefault(key, None)
    for key in ("unrated", "unreachable", "awaiting_rating", "summonses"):
        rates.setdefault(key, row.get(key, 0))
    row.setdefault("change", {})
    row.setdefault("change_yoy", {})
    row.setdefault("period", None)
    row.setdefault("by_status", {})
    if not row.get("name"):
        kind, _, key = str(row.get("scope", "")).partition(":")
        found = getattr(get_directory(), kind)(key) if kind in ("community", "department", "category") else None
        row["name"] = found.name if found else ("全区" if kind == "all" else row.get("scope", ""))
    if rank is not None:
        row.setdefault("rank", rank)
        row.setdefault("rank_change", None)
    return row


def _ticker_item(ticket: dict[str, Any]) -> dict[str, Any]:
    """An overdue ticket for the ticker (超期滚动), with names and the Beijing due time the page shows."""
    env = TEMPLATES.env.filters
    return {"id": ticket["id"], "title": ticket["title"], "community_id": ticket["community_id"],
            "community": env["community"](ticket["community_id"]),
            "department": env["department"](ticket["department_id"]) if ticket.get("department_id") else None,
            "due": env["dt"](ticket.get("next_due")) if ticket.get("next_due") else ""}


def _query(period: dict[str, str]) -> str:
    return urlencode(period)


@router.get("/dashboard/data.json", response_class=JSONResponse)
async def dashboard_data(viewer: DashboardPage, clients: BackendsDep, chosen: Annotated[PeriodQuery, Query()]) -> JSONResponse:
    """What the charts draw, polled by dashboard.js: the summary, the trend, rankings, the grid map and its open tickets."""
    period = chosen.params()
    try:
        summary, trend, by_community, by_department, open_by_grid, overdue = await asyncio.gather(
            clients.call("dashboard", "GET", "/summary", token=viewer.token, params=period),
            clients.call("dashboard", "GET", "/trend", token=viewer.token, params=period),
            clients.call("dashboard", "GET", "/rankings", token=viewer.token, params={**period, "by": "community"}),
            clients.call("dashboard", "GET", "/rankings", token=viewer.token, params={**period, "by": "department"}),
            clients.call("dashboard", "GET", "/map", token=viewer.token),
            clients.call("dashboard", "GET", "/overdue", token=viewer.token, params={"limit": 50}),
        )
    except BackendRejected as exc:
        return JSONResponse({"detail": rejection_message(exc, "查询未成功")}, status_code=exc.status_code)
    except BackendUnavailable:
        return JSONResponse({"detail": "数据大屏服务暂时不可用"}, status_code=503)
    try:
        geo = await grids.grid_map(clients, viewer.token)
    except (BackendRejected, BackendUnavailable):
        geo = grids.EMPTY  # the map waits for intake; the figures do not
    return JSONResponse({
        "summary": summary, "trend": trend, "community": by_community, "department": by_department,
        "grids": open_by_grid, "geo": geo, "overdue": [_ticker_item(t) for t in overdue],
    }, headers={"Cache-Control": "no-store"})
