"""Leadership 数据大屏: the three rates, status counts, rankings, escalated tickets, the daily digest and the monthly
ranking history."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.clients import BackendRejected, Backends
from services.portal.forms import ReportDates
from services.portal.views import BackendsDep, DashboardPage, Viewer, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/dashboard")
async def dashboard(
    request: Request, viewer: DashboardPage, clients: BackendsDep, dates: Annotated[ReportDates, Query()]
) -> Response:
    summary = await clients.call("dashboard", "GET", "/summary", token=viewer.token, params={"scope": "all"})
    by_community = await clients.call("dashboard", "GET", "/rankings", token=viewer.token, params={"by": "community"})
    by_department = await clients.call("dashboard", "GET", "/rankings", token=viewer.token, params={"by": "department"})
    escalated = await clients.call("dashboard", "GET", "/escalated", token=viewer.token, params={"limit": 50})
    digests, digest_error = await _report(clients, viewer, "/digests", {"day": dates.day})
    history, history_error = await _report(clients, viewer, "/rankings/history", {"month": dates.month})
    by_status = summary.get("by_status", {})
    peak = max(by_status.values(), default=0) or 1
    return render(
        request,
        "dashboard.html",
        viewer,
        summary=summary,
        status_bars=[(status, count, count / peak) for status, count in sorted(by_status.items(), key=lambda kv: -kv[1])],
        by_community=by_community,
        by_department=by_department,
        escalated=escalated,
        day=dates.day,
        month=dates.month,
        digests=digests,
        digest_error=digest_error,
        history=history,
        history_error=history_error,
    )


async def _report(clients: Backends, viewer: Viewer, path: str, params: dict[str, str]) -> tuple[list, str | None]:
    """A report for the chosen day or month; a bad date is a message next to its form, not a broken page."""
    try:
        return await clients.call("dashboard", "GET", path, token=viewer.token, params=params), None
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return [], rejection_message(exc, "查询未成功")
