"""通知管理: admins edit the escalation roster (通知名单) and the templates (通知模板) as documents published in
versions; staff with the page see the dead letters (未送达) and the message log of their scope and send one again."""
from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.clients import BackendRejected, Backends
from services.portal.labels import REJECTION_TITLES
from services.portal.views import BackendsDep, Viewer, page_for, redirect, render

router = APIRouter(default_response_class=HTMLResponse)

NOTIFY_ADMIN_ROLES = ("admin", "supervisor", "community_staff", "department_staff")
NotifyAdminPage = Annotated[Viewer, Depends(page_for(*NOTIFY_ADMIN_ROLES))]
AdminOnly = Annotated[Viewer, Depends(page_for("admin"))]
Document = Literal["roster", "templates"]
CHANNEL_NAMES = {"inbox": "站内信", "sms": "短信", "wechat": "微信", "email": "电子邮件"}
STATUS_NAMES = {"pending": "待发送", "deferred": "免打扰暂缓", "retry": "重试中", "sent": "已送达", "dead": "未送达"}


def _draft(current: dict[str, Any]) -> str:
    """The current document with version = current + 1, ready to edit and publish."""
    return json.dumps({**current["document"], "version": int(current["version"]) + 1}, ensure_ascii=False, indent=2)


async def _render(
    request: Request, viewer: Viewer, clients: Backends, *, status_code: int = 200,
    form: Document | None = None, typed: str | None = None, error: str | None = None,
) -> Response:
    dead = await clients.call("notify", "GET", "/dead-letters", token=viewer.token, params={"limit": 100})
    log = await clients.call("notify", "GET", "/messages", token=viewer.token, params={"limit": 50})
    documents: dict[str, Any] = {}
    if viewer.role == "admin":
        for kind in ("roster", "templates"):
            current = await clients.call("notify", "GET", f"/admin/{kind}", token=viewer.token)
            documents[kind] = {
                "current": current, "text": typed if form == kind else _draft(current), "error": error if form == kind else None,
            }
    return render(
        request, "notify_admin.html", viewer, status_code=status_code, dead=dead, log=log, documents=documents,
        channel_names=CHANNEL_NAMES, status_names=STATUS_NAMES,
    )


@router.get("/notifications")
async def notify_admin_page(request: Request, viewer: NotifyAdminPage, clients: BackendsDep) -> Response:
    return await _render(request, viewer, clients)


@router.post("/notifications/dead-letters/{message_id}/retry")
async def retry(message_id: int, viewer: NotifyAdminPage, clients: BackendsDep) -> Response:
    await clients.call("notify", "POST", f"/dead-letters/{message_id}/retry", token=viewer.token)
    return redirect("/notifications?ok=notify_retry")


async def _publish(request: Request, viewer: Viewer, clients: Backends, kind: Document) -> Response:
    text = str((await request.form()).get("document", ""))
    try:
        document = json.loads(text)
        if not isinstance(document, dict):
            raise ValueError("文档须是一个 JSON 对象")
    except ValueError as exc:
        return await _render(request, viewer, clients, status_code=422, form=kind, typed=text, error=f"JSON 格式有误：{exc}")
    try:
        await clients.call("notify", "PUT", f"/admin/{kind}", token=viewer.token, json=document)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        # an admin editing JSON needs the key the notify service names (`communities.mars: unknown community`)
        error = f"{REJECTION_TITLES.get(exc.status_code, '发布未成功')}：{exc.message}"
        return await _render(request, viewer, clients, status_code=exc.status_code, form=kind, typed=text, error=error)
    return redirect(f"/notifications?ok=notify_{kind}#{kind}")


@router.post("/notifications/roster")
async def publish_roster(request: Request, viewer: AdminOnly, clients: BackendsDep) -> Response:
    return await _publish(request, viewer, clients, "roster")


@router.post("/notifications/templates")
async def publish_templates(request: Request, viewer: AdminOnly, clients: BackendsDep) -> Response:
    return await _publish(request, viewer, clients, "templates")
