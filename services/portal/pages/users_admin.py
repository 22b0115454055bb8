"""系统设置 · 用户与权限 (admins): every account with its role and scope, a form to create one or change its name,
role, scope and password, 停用/启用, and each account's change history (user_admin.py keeps the audit)."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from services.portal import user_admin
from services.portal.labels import ROLE_LABELS
from services.portal.views import AdminPage, Viewer, redirect, render

router = APIRouter(default_response_class=HTMLResponse)
NOTICES = {"created": "账号已创建", "updated": "账号已修改", "deactivated": "账号已停用", "activated": "账号已启用"}


async def _page(request: Request, viewer: Viewer, *, status_code: int = 200, typed: dict[str, str] | None = None,
                errors: dict[str, str] | None = None) -> Response:
    engine = request.app.state.users.engine
    role, q = request.query_params.get("role") or None, request.query_params.get("q") or None
    users = await asyncio.to_thread(user_admin.list_users, engine, role=role if role in ROLE_LABELS else None, q=(q or "")[:40] or None)
    history = await asyncio.to_thread(user_admin.audit_lines, engine, limit=50)
    return render(
        request, "users_admin.html", viewer, status_code=status_code, users=users, history=history, roles=ROLE_LABELS,
        role=role, q=q or "", typed=typed or {}, errors=errors or {}, directory=get_directory(),
        done=NOTICES.get(request.query_params.get("ok", "")), edit=request.query_params.get("edit"),
    )


@router.get("/admin/users")
async def users_page(request: Request, viewer: AdminPage) -> Response:
    return await _page(request, viewer)


@router.post("/admin/users", responses={422: {"description": "某项填写有误（逐项说明）"}})
async def save_user(request: Request, viewer: AdminPage) -> Response:
    """新建 (mode=create) or 修改 (mode=update) an account; a wrong field is named beside it and nothing is saved."""
    posted = await request.form()
    fields: dict[str, Any] = {k: v.strip() for k, v in posted.items() if isinstance(v, str) and len(k) <= 40}
    create = fields.get("mode") != "update"
    try:
        await asyncio.to_thread(user_admin.save_user, request.app.state.users.engine, actor=viewer.principal.sub, fields=fields, create=create)
    except user_admin.UserInvalid as exc:
        fields.pop("password", None)
        return await _page(request, viewer, status_code=422, typed=fields, errors=exc.errors)
    return redirect(f"/admin/users?ok={'created' if create else 'updated'}")


@router.post("/admin/users/{username}/active", responses={422: {"description": "不能停用自己的账号，或账号不存在"}})
async def set_active(username: str, request: Request, viewer: AdminPage) -> Response:
    posted = await request.form()
    active = posted.get("active") == "1"
    try:
        await asyncio.to_thread(user_admin.set_active, request.app.state.users.engine, actor=viewer.principal.sub,
                                username=username[:60], active=active)
    except user_admin.UserInvalid as exc:
        return await _page(request, viewer, status_code=422, errors=exc.errors)
    return redirect(f"/admin/users?ok={'activated' if active else 'deactivated'}")
