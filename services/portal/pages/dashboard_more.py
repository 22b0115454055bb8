"""数据大屏, continued: the tickets behind a figure (drill-down to each ticket's /staff/tickets/{id}), exports of every
table (CSV or xlsx, from the dashboard service with the viewer's own token) and 每月一题 (a hot issue made the month's
topic, closed with how it ended)."""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.clients import BackendRejected
from services.portal.views import BackendsDep, DashboardPage, redirect, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)
FLAGS = {"all": "全部", "open": "未办结", "overdue": "曾超期", "escalated": "督办中", "handled": "已办结", "unhandled": "未办结（未办）"}
ExportTable = Literal["summary", "rankings", "trend", "escalated", "overdue", "tickets", "hot", "repeated"]
PASSED = ("period", "date", "start", "end", "scope", "by", "flag", "window")


@router.get("/dashboard/tickets")
async def drill_down(
    request: Request, viewer: DashboardPage, clients: BackendsDep,
    scope: Annotated[str, Query(max_length=80)] = "all",
    flag: Annotated[Literal["all", "open", "overdue", "escalated", "handled", "unhandled"], Query()] = "all",
    period: Annotated[str, Query(max_length=10)] = "",
    date: Annotated[str, Query(max_length=10)] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    params = {k: v for k, v in {"scope": scope, "flag": flag, "period": period, "date": date, "start": start, "end": end}.items() if v}
    error = None
    try:
        rows = await clients.call("dashboard", "GET", "/tickets", token=viewer.token, params={**params, "limit": 500})
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        rows, error = [], rejection_message(exc, "查询未成功")
    return render(request, "dashboard_tickets.html", viewer, rows=rows, scope=scope, flag=flag, flags=FLAGS, error=error,
                  export_query=httpx.QueryParams(params))


@router.get("/dashboard/export/{table}", response_class=Response)
async def export(request: Request, table: ExportTable, viewer: DashboardPage, clients: BackendsDep) -> Response:
    """The dashboard service's file, fetched with the viewer's token (so it holds only what they may see)."""
    params = {k: v for k, v in request.query_params.items() if k in PASSED or k == "format"}
    return await _file(clients, viewer, f"/export/{table}", params, f"dashboard-{table}")


@router.get("/dashboard/report.pdf", response_class=Response)
async def monthly_report(viewer: DashboardPage, clients: BackendsDep,
                         month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]) -> Response:
    """月度报告 as a PDF to print: the dashboard service's file for the viewer's own scope."""
    return await _file(clients, viewer, "/report/monthly.pdf", {"month": month}, f"report-{month}.pdf")


async def _file(clients: BackendsDep, viewer: DashboardPage, path: str, params: dict[str, str], name: str) -> Response:
    try:
        reply = await clients.clients["dashboard"].get(path, params=params, headers={"Authorization": f"Bearer {viewer.token}"})
    except httpx.HTTPError:
        return Response("数据大屏服务暂时不可用", status_code=503, media_type="text/plain; charset=utf-8")
    if reply.status_code != 200:
        detail = reply.json().get("detail") if reply.headers.get("content-type", "").startswith("application/json") else None
        return Response(f"导出未成功：{detail or reply.status_code}", status_code=reply.status_code if reply.status_code < 500 else 503,
                        media_type="text/plain; charset=utf-8")
    return Response(reply.content, media_type=reply.headers.get("content-type"), headers={
        "Content-Disposition": reply.headers.get("content-disposition", f"attachment; filename={name}"),
        "Cache-Control": "no-store",
    })


@router.post("/dashboard/topics")
async def new_topic(
    viewer: DashboardPage, clients: BackendsDep,
    scope: Annotated[str, Form(max_length=80)], window_days: Annotated[Literal["7", "30"], Form()] = "30",
) -> Response:
    try:
        await clients.call("dashboard", "POST", "/topics", token=viewer.token, json={"scope": scope, "window_days": int(window_days)})
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return redirect(f"/dashboard?topic_error={quote(rejection_message(exc, '未能设为每月一题'))}#topics")
    return redirect("/dashboard?ok=topic#topics")


@router.post("/dashboard/topics/{topic_id}/close")
async def close_topic(viewer: DashboardPage, clients: BackendsDep, topic_id: str,
                      note: Annotated[str, Form(min_length=1, max_length=500)]) -> Response:
    try:
        await clients.call("dashboard", "POST", f"/topics/{quote(topic_id)}/close", token=viewer.token, json={"note": note.strip()})
    except BackendRejected as exc:
        if exc.status_code == 401:
            raise
        return redirect(f"/dashboard?topic_error={quote(rejection_message(exc, '未能办结'))}#topics")
    return redirect("/dashboard?ok=topic_closed#topics")
