"""Admins 系统设置: the SLA policy (时限政策: shown as tables, published as a new version) and the working calendar
(工作日历: holidays and make-up workdays)."""
from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from libs.ticket import SLA_STAGES
from services.portal.clients import BackendRejected, Backends
from services.portal.labels import URGENCY_LABELS
from services.portal.views import AdminPage, BackendsDep, Viewer, redirect, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)

AdminForm = Literal["policy", "calendar"]
CALENDAR_FIELDS = ("holidays", "workdays", "remove")
DATE_SPLIT = re.compile(r"[\s,，、;；]+")


def _dates(text: str) -> list[str]:
    return [d for d in DATE_SPLIT.split(text.strip()) if d]


def _policy_draft(policy: dict[str, Any]) -> str:
    """The current document with version = current + 1, ready to edit and publish."""
    document = {**(policy.get("document") or {}), "version": int(policy.get("version") or 0) + 1}
    return json.dumps(document, ensure_ascii=False, indent=2)


async def _render_admin(
    request: Request,
    viewer: Viewer,
    clients: Backends,
    *,
    status_code: int = 200,
    form: AdminForm | None = None,
    typed: Any = None,
    error: str | None = None,
) -> Response:
    """The admin page; `form` names the form that was refused, shown again with what was `typed` and the `error`."""
    policy = await clients.call("dispatch", "GET", "/admin/sla-policy", token=viewer.token)
    calendar = await clients.call("dispatch", "GET", "/admin/calendar", token=viewer.token)
    document = policy.get("document") or {}
    urgencies = document.get("urgencies") or {}
    return render(
        request,
        "admin.html",
        viewer,
        status_code=status_code,
        policy=policy,
        document=document,
        urgency_rows=[(u, urgencies[u]) for u in (*URGENCY_LABELS, *sorted(set(urgencies) - set(URGENCY_LABELS))) if u in urgencies],
        stages=SLA_STAGES,
        policy_text=typed if form == "policy" else _policy_draft(policy),
        policy_error=error if form == "policy" else None,
        calendar=calendar,
        calendar_form=typed if form == "calendar" else {k: "\n".join(calendar.get(k) or []) for k in CALENDAR_FIELDS},
        calendar_error=error if form == "calendar" else None,
    )


async def _save(
    request: Request, viewer: Viewer, clients: Backends, form: AdminForm, typed: Any, path: str, body: Any, fallback: str
) -> Response:
    """PUT the form's document to dispatch; a refusal is shown next to the form, with what the admin typed kept."""
    try:
        await clients.call("dispatch", "PUT", path, token=viewer.token, json=body)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        return await _render_admin(
            request, viewer, clients, status_code=exc.status_code, form=form, typed=typed,
            error=rejection_message(exc, fallback),
        )
    return redirect(f"/admin?ok={form}")


@router.get("/admin")
async def admin_page(request: Request, viewer: AdminPage, clients: BackendsDep) -> Response:
    return await _render_admin(request, viewer, clients)


@router.post("/admin/sla-policy")
async def publish_policy(
    request: Request, viewer: AdminPage, clients: BackendsDep, document: Annotated[str, Form(max_length=100_000)]
) -> Response:
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError as exc:
        return await _render_admin(
            request, viewer, clients, status_code=422, form="policy", typed=document,
            error=f"JSON 格式有误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}",
        )
    if not isinstance(parsed, dict):
        return await _render_admin(
            request, viewer, clients, status_code=422, form="policy", typed=document, error="政策文件应是一个 JSON 对象 {…}"
        )
    return await _save(request, viewer, clients, "policy", document, "/admin/sla-policy", parsed, "发布未成功")


@router.post("/admin/calendar")
async def adjust_calendar(
    request: Request,
    viewer: AdminPage,
    clients: BackendsDep,
    holidays: Annotated[str, Form(max_length=20_000)] = "",
    workdays: Annotated[str, Form(max_length=20_000)] = "",
    remove: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    form = {"holidays": holidays, "workdays": workdays, "remove": remove}
    body = {k: _dates(v) for k, v in form.items()}
    return await _save(request, viewer, clients, "calendar", form, "/admin/calendar", body, "保存未成功")
