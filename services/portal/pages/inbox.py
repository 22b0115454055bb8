"""站内信 for every signed-in person (the notify service, with the viewer's own token: nobody reads another's), and
通知设置: which channels besides the inbox, and where."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from libs.auth import ROLES
from services.portal.clients import BackendRejected, Backends
from services.portal.views import BackendsDep, Viewer, page_for, redirect, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)

AnyonePage = Annotated[Viewer, Depends(page_for(*ROLES))]
CHANNEL_LABELS = {"sms": "短信", "wechat": "微信", "email": "电子邮件"}
PAGE_SIZE = 20


async def _render_inbox(
    request: Request, viewer: Viewer, clients: Backends, *, page: int = 1, status_code: int = 200,
    typed: dict[str, Any] | None = None, error: str | None = None,
) -> Response:
    page = max(page, 1)
    inbox = await clients.call(
        "notify", "GET", "/inbox", token=viewer.token, params={"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
    )
    contact = await clients.call("notify", "GET", "/me/notify-settings", token=viewer.token)
    request.state.unread = inbox["unread"]  # the header's badge shows what the page shows
    return render(
        request, "inbox.html", viewer, status_code=status_code, inbox=inbox, page=page,
        pages=max(1, -(-inbox["total"] // PAGE_SIZE)), contact=contact, typed=typed or {}, settings_error=error,
        channel_labels=CHANNEL_LABELS,
    )


@router.get("/inbox")
async def inbox_page(request: Request, viewer: AnyonePage, clients: BackendsDep, page: int = 1) -> Response:
    return await _render_inbox(request, viewer, clients, page=page)


@router.post("/inbox/read-all")
async def read_all(viewer: AnyonePage, clients: BackendsDep) -> Response:
    await clients.call("notify", "POST", "/inbox/read-all", token=viewer.token)
    return redirect("/inbox")


@router.post("/inbox/{item_id}/read")
async def read_one(item_id: int, viewer: AnyonePage, clients: BackendsDep) -> Response:
    """Someone else's message id is the backend's 404, shown as the not-found page."""
    await clients.call("notify", "POST", f"/inbox/{item_id}/read", token=viewer.token)
    return redirect(f"/inbox#m{item_id}")


@router.post("/inbox/settings")
async def save_settings(request: Request, viewer: AnyonePage, clients: BackendsDep) -> Response:
    form = await request.form()
    body = {
        "channels": [c for c in form.getlist("channels") if c in CHANNEL_LABELS],
        "phone": str(form.get("phone", "")).strip(),
        "email": str(form.get("email", "")).strip(),
        "wechat_openid": str(form.get("wechat_openid", "")).strip(),
    }
    if not body["phone"]:
        body.pop("phone")  # blank keeps the number on file: the page never shows it back in full
    try:
        await clients.call("notify", "PUT", "/me/notify-settings", token=viewer.token, json=body)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        return await _render_inbox(
            request, viewer, clients, status_code=exc.status_code, typed=body, error=rejection_message(exc, "保存未成功"),
        )
    return redirect("/inbox?ok=notify_settings")
