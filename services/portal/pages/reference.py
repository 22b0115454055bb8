"""系统设置 · 基础数据 (admins): the district's streets, communities (grids, compounds), departments (district or street
level) and categories with their default department (分派规则), each added or changed through its form and published
by dispatch as the next directory version (an event on `config`, kept in the change log shown here); the grid
boundaries uploaded as GeoJSON to intake (PUT /admin/grids)."""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from libs.directory import live
from services.portal import reference_forms
from services.portal.clients import BackendRejected, Backends
from services.portal.views import AdminPage, BackendsDep, Viewer, redirect, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)
MAX_GEOJSON_BYTES = 900_000
NOTICES = {"reference": "已发布新版本，各服务随即生效", "grids": "网格边界已发布"}


async def _page(
    request: Request, viewer: Viewer, clients: Backends, *, status_code: int = 200, kind: str | None = None,
    typed: dict[str, str] | None = None, errors: dict[str, str] | None = None, error: str | None = None,
) -> Response:
    current = await clients.call("dispatch", "GET", "/admin/directory", token=viewer.token)
    changes = await clients.call("dispatch", "GET", "/admin/directory/history", token=viewer.token)
    try:
        grids = await clients.call("intake", "GET", "/admin/grids", token=viewer.token)
    except BackendRejected:
        grids = None
    document = current.get("document") or {}
    return render(
        request, "reference.html", viewer, status_code=status_code, current=current, document=document, changes=changes,
        grids=grids, urgencies=reference_forms.URGENCIES, kinds=reference_forms.KINDS, failed=kind, typed=typed or {},
        errors=errors or {}, error=error, done=NOTICES.get(request.query_params.get("ok", "")),
        street_names={s["id"]: s["name"] for s in document.get("streets", [])},
        department_names={d["id"]: d["name"] for d in document.get("departments", [])},
    )


@router.get("/admin/reference")
async def reference_page(request: Request, viewer: AdminPage, clients: BackendsDep) -> Response:
    return await _page(request, viewer, clients)


@router.post(
    "/admin/reference/{kind}",
    responses={409: {"description": "已有人先发布了新版本"}, 422: {"description": "某项填写有误（逐项说明）"}},
)
async def publish_change(kind: str, request: Request, viewer: AdminPage, clients: BackendsDep) -> Response:
    """One form's change, published as the version the page offered (someone publishing first: 409, nothing lost)."""
    posted = await request.form()
    fields = {k: v.strip() for k, v in posted.items() if isinstance(v, str) and len(k) <= 40}
    current = await clients.call("dispatch", "GET", "/admin/directory", token=viewer.token)
    try:
        version = int(fields.get("version", ""))
        document, line = reference_forms.change(current.get("document") or {}, kind, fields)
    except reference_forms.FormInvalid as exc:
        return await _page(request, viewer, clients, status_code=422, kind=kind, typed=fields, errors=exc.errors,
                           error=f"有 {len(exc.errors)} 处填写有误，未发布")
    except ValueError:
        return await _page(request, viewer, clients, status_code=422, kind=kind, typed=fields, error="版本号有误，请刷新页面后重新填写")
    body: dict[str, Any] = {"version": version + 1, "change": line, "document": document}
    try:
        published = await clients.call("dispatch", "PUT", "/admin/directory", token=viewer.token, json=body)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        message = "已有人先发布了新版本，请刷新后重新填写" if exc.status_code == 409 else rejection_message(exc, "发布未成功")
        return await _page(request, viewer, clients, status_code=exc.status_code, kind=kind, typed=fields, error=message)
    live.adopt(published["version"], published["document"], published_by=viewer.principal.sub, change=line)
    return redirect("/admin/reference?ok=reference")


@router.post(
    "/admin/reference-grids",
    responses={413: {"description": "文件过大"}, 422: {"description": "GeoJSON 有误（指出哪一个网格、什么问题）"}},
)
async def upload_grids(request: Request, viewer: AdminPage, clients: BackendsDep) -> Response:
    """网格边界: a GeoJSON FeatureCollection (grid_id, community_id, name per feature), checked by intake."""
    posted = await request.form()
    upload = posted.get("geojson")
    if not isinstance(upload, UploadFile):
        return await _page(request, viewer, clients, status_code=422, kind="grids", error="网格边界：请选择 GeoJSON 文件")
    raw = await upload.read(MAX_GEOJSON_BYTES + 1)
    if len(raw) > MAX_GEOJSON_BYTES:
        return await _page(request, viewer, clients, status_code=413, kind="grids", error="网格边界：文件超过 900 KB，请简化边界后再上传")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return await _page(request, viewer, clients, status_code=422, kind="grids", error="网格边界：文件不是有效的 GeoJSON（JSON）")
    try:
        await clients.call("intake", "PUT", "/admin/grids", token=viewer.token, json=document)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        return await _page(request, viewer, clients, status_code=exc.status_code, kind="grids", error=rejection_message(exc, "网格边界未发布"))
    return redirect("/admin/reference?ok=grids")
