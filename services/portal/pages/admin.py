"""Admins 系统设置: the SLA policy (时限政策: shown as tables, published as a new version through a form, or as JSON
under 高级), the category keywords and the working calendar (工作日历: holidays and make-up workdays)."""
from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from libs.ticket import SLA_STAGES
from services.portal import sla_form
from services.portal.clients import BackendRejected, Backends
from services.portal.forms import CalendarForm, CategoryRulesForm, PageForm, PolicyForm, Posted
from services.portal.labels import URGENCY_LABELS
from services.portal.views import AdminPage, BackendsDep, Viewer, redirect, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)

AdminForm = Literal["policy", "policy_form", "calendar", "rules"]


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
    field_errors: dict[str, str] | None = None,
) -> Response:
    """The admin page; `form` names the form that was refused, shown again with what was `typed` and the `error`
    (the policy form: `field_errors` by input name)."""
    policy = await clients.call("dispatch", "GET", "/admin/sla-policy", token=viewer.token)
    calendar = await clients.call("dispatch", "GET", "/admin/calendar", token=viewer.token)
    rules = await _category_rules(clients, viewer)
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
        policy_text=typed.document if form == "policy" else _policy_draft(policy),
        policy_error=error if form == "policy" else None,
        sla_fields=typed if form == "policy_form" else sla_form.form_fields(document),
        sla_error=error if form == "policy_form" else None,
        sla_errors=field_errors or {},
        sla_spans=sla_form.policy_spans(document),
        sla_category_rows=max(sla_form.category_rows(document), _typed_rows(typed) if form == "policy_form" else 0),
        sla_units=sla_form.FORM_UNITS,
        urgency_ids=sla_form.URGENCIES,
        ladder_levels=sla_form.LEVELS,
        calendar=calendar,
        calendar_form=typed if form == "calendar" else {k: "\n".join(calendar.get(k) or []) for k in CalendarForm.model_fields},
        calendar_error=error if form == "calendar" else None,
        rules=rules,
        rules_rows=_rules_rows(rules),
        rules_text=typed.rules if form == "rules" else (_policy_draft(rules) if rules else ""),
        rules_error=error if form == "rules" else None,
    )


def _typed_rows(fields: dict[str, str]) -> int:
    rows = [int(k.split(".")[1]) for k in fields if k.startswith("categories.") and k.split(".")[1].isdigit()]
    return max(rows, default=-1) + 1


async def _category_rules(clients: Backends, viewer: Viewer) -> dict[str, Any] | None:
    """分类关键词 from intake; None (the section says so) when intake refuses them."""
    try:
        return await clients.call("intake", "GET", "/admin/category-rules", token=viewer.token)
    except BackendRejected:
        return None


def _rules_rows(rules: dict[str, Any] | None) -> list[tuple[str, list[tuple[str, Any]]]]:
    """(category id, [(keyword, weight)...] heaviest first) in the rules' order."""
    categories = ((rules or {}).get("document") or {}).get("categories") or {}
    return [(c, sorted(words.items(), key=lambda kv: -kv[1])) for c, words in categories.items() if isinstance(words, dict)]


async def _save(
    request: Request, viewer: Viewer, clients: Backends, name: AdminForm, form: PageForm, path: str, fallback: str,
    service: str = "dispatch",
) -> Response:
    """PUT the form's document to dispatch; a document that does not parse, or a refusal, is shown next to the form
    with what the admin typed kept."""
    try:
        body = form.body()
    except ValueError as exc:
        return await _render_admin(request, viewer, clients, status_code=422, form=name, typed=form, error=str(exc))
    try:
        await clients.call(service, "PUT", path, token=viewer.token, json=body)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        return await _render_admin(
            request, viewer, clients, status_code=exc.status_code, form=name, typed=form,
            error=rejection_message(exc, fallback),
        )
    return redirect(f"/admin?ok={name}")


@router.get("/admin")
async def admin_page(request: Request, viewer: AdminPage, clients: BackendsDep) -> Response:
    return await _render_admin(request, viewer, clients)


@router.post("/admin/sla-policy")
async def publish_policy(request: Request, viewer: AdminPage, clients: BackendsDep, form: Posted[PolicyForm]) -> Response:
    return await _save(request, viewer, clients, "policy", form, "/admin/sla-policy", "发布未成功")


@router.post(
    "/admin/sla-policy/form",
    responses={409: {"description": "已有人先发布了这个版本"}, 422: {"description": "某项填写有误（逐项说明）"}},
)
async def publish_policy_form(request: Request, viewer: AdminPage, clients: BackendsDep) -> Response:
    """发布 through the form: the current policy with what the form shows replaced, as the version the page offered
    (someone publishing first makes it a 409); every wrong input is named beside it and nothing is published."""
    posted = await request.form()
    fields = {k: v for k, v in posted.items() if isinstance(v, str) and len(k) <= 80}
    current = await clients.call("dispatch", "GET", "/admin/sla-policy", token=viewer.token)
    try:
        version = int(fields.get("version", ""))
        document = sla_form.next_document(current.get("document") or {}, version, fields, get_directory())
    except ValueError as exc:
        errors = exc.errors if isinstance(exc, sla_form.PolicyFormInvalid) else {"version": "版本号有误，请刷新页面后重新填写"}
        return await _render_admin(
            request, viewer, clients, status_code=422, form="policy_form", typed=fields,
            error=f"有 {len(errors)} 处填写有误，未发布：" + "；".join(errors.values()), field_errors=errors,
        )
    try:
        await clients.call("dispatch", "PUT", "/admin/sla-policy", token=viewer.token, json=document)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        return await _render_admin(
            request, viewer, clients, status_code=exc.status_code, form="policy_form", typed=fields,
            error=rejection_message(exc, "发布未成功"),
        )
    return redirect("/admin?ok=policy")


@router.post("/admin/calendar")
async def adjust_calendar(request: Request, viewer: AdminPage, clients: BackendsDep, form: Posted[CalendarForm]) -> Response:
    return await _save(request, viewer, clients, "calendar", form, "/admin/calendar", "保存未成功")


@router.post("/admin/category-rules")
async def publish_category_rules(
    request: Request, viewer: AdminPage, clients: BackendsDep, form: Posted[CategoryRulesForm]
) -> Response:
    """分类关键词: a new version of the keyword rules, used by intake for every filing from now on."""
    return await _save(request, viewer, clients, "rules", form, "/admin/category-rules", "发布未成功", service="intake")
