"""Portal pages: login, 吹哨 for residents, 社区转哨 console, 部门办哨 worklist, 数据大屏 — role-checked, server-rendered."""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.auth import Principal, decode_token, mint_token
from libs.directory import get_directory
from libs.observability import get_logger
from services.portal.clients import BACKEND_NAMES_ZH, BackendRejected, Backends, BackendUnavailable, describe_detail

log = get_logger(__name__)

SESSION_COOKIE = "whistle_session"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
BEIJING = timezone(timedelta(hours=8))

RESIDENT_ROLES = ("resident", "grid_worker")
CONSOLE_ROLES = ("community_staff", "supervisor", "admin")
WORKLIST_ROLES = ("department_staff", "admin")
DASHBOARD_ROLES = ("leader", "supervisor", "admin")
SUPERVISION_ROLES = ("supervisor", "admin")
ADMIN_ROLES = ("admin",)
MERGE_ROLES = ("community_staff", "supervisor")

ROLE_LABELS = {
    "resident": "居民",
    "grid_worker": "网格员",
    "community_staff": "社区工作人员",
    "department_staff": "部门工作人员",
    "supervisor": "督办",
    "leader": "领导",
    "admin": "管理员",
}
HOME_BY_ROLE = {
    "resident": "/mine",
    "grid_worker": "/mine",
    "community_staff": "/console",
    "department_staff": "/worklist",
    "supervisor": "/dashboard",
    "leader": "/dashboard",
    "admin": "/dashboard",
}
NAV = (  # (path, label, roles)
    ("/file", "我要吹哨", RESIDENT_ROLES),
    ("/mine", "我的诉求", RESIDENT_ROLES),
    ("/console", "社区转哨", CONSOLE_ROLES),
    ("/worklist", "部门办哨", WORKLIST_ROLES),
    ("/dashboard", "数据大屏", DASHBOARD_ROLES),
    ("/supervision", "督办", SUPERVISION_ROLES),
    ("/admin", "系统设置", ADMIN_ROLES),
)
STATUS_SHORT = {
    "filed": "待转哨",
    "dispatched": "已派单",
    "settled_on_spot": "社区即办",
    "accepted": "办理中",
    "returned": "已退单",
    "resolved": "已办结",
    "reopened": "重办中",
    "closed": "已关闭",
    "merged": "已合并",
}
STATUS_TONE = {
    "filed": "warn",
    "returned": "warn",
    "reopened": "warn",
    "dispatched": "info",
    "accepted": "info",
    "resolved": "good",
    "settled_on_spot": "good",
    "closed": "muted",
    "merged": "muted",
}
EVENT_LABELS = {
    "TicketFiled": "居民吹哨",
    "TicketDispatched": "社区派单",
    "TicketSettledOnSpot": "社区即办",
    "TicketAccepted": "部门签收",
    "TicketReturned": "部门退单",
    "TicketResolved": "部门办结",
    "TicketRated": "居民评价",
    "TicketReopened": "不满意，重办",
    "TicketClosed": "诉求关闭",
    "TicketEscalated": "督办",
    "DeadlineWarned": "催办",
    "ResidentContacted": "已联系您",
    "ExtensionGranted": "延期已批准",
    "TicketMerged": "已合并",
    "TicketSuspended": "暂停办理",
    "TicketResumed": "恢复办理",
}
# The SLA policy's stages (libs/sla/policy.py STAGES), as staff call them.
STAGE_LABELS = {
    "dispatch": "转哨派单",
    "accept": "部门签收",
    "contact": "联系居民",
    "resolve": "办结",
    "rating": "居民评价",
    "joint_on_site": "联席到场",
}
URGENCY_LABELS = {"emergency": "紧急", "urgent": "加急", "ordinary": "一般", "complex": "复杂"}
# Policy units (libs/sla/policy.py UNITS); the first four are the ones an extension may use.
UNIT_LABELS = {
    "working_days": "工作日",
    "working_hours": "工作小时",
    "clock_hours": "小时",
    "days": "天",
    "minutes": "分钟",
    "seconds": "秒",
}
EXTENSION_UNITS = ("working_days", "working_hours", "clock_hours", "days")
EXTENSION_STATUS = {"pending": ("延期待审批", "warn"), "granted": ("延期已批准", "good"), "refused": ("延期被驳回", "muted")}

AWAITING_RATING = ("resolved", "settled_on_spot")
SATISFACTION_CHOICES = (("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("unsatisfied", "不满意"))
# Success notices chosen by key, so nothing from the query string is echoed into the page.
NOTICES = {
    "filed": "吹哨成功！社区会尽快转哨处理，您可以在这里查看进度。",
    "rated": "感谢您的评价！",
    "dispatched": "已派单到承办部门。",
    "settled": "已记录为社区即办。",
    "accepted": "已签收，请尽快联系居民并办理。",
    "resolved": "已办结，等待居民评价。",
    "returned": "已退单，社区将改派。",
    "contacted": "已记录联系居民。",
    "extension": "延期申请已提交，等待督办审批。",
    "merged": "已合并到指定工单。",
    "suspended": "已暂停办理，所有时限停止计时。",
    "resumed": "已恢复办理，时限顺延。",
    "granted": "已批准延期。",
    "refused": "已驳回延期申请。",
    "policy": "新版时限政策已发布，此后受理的诉求按新版执行。",
    "calendar": "工作日历已更新。",
}
REJECTION_TITLES = {
    400: "提交的内容有误",
    403: "没有权限执行此操作",
    404: "没有找到这条记录",
    409: "操作与当前状态冲突",
    422: "提交的内容有误",
}


@dataclass(frozen=True)
class Viewer:
    """The logged-in person and the token the backends are called with."""

    principal: Principal
    token: str

    @property
    def role(self) -> str:
        return self.principal.role


class LoginRequired(Exception):
    """No valid session cookie: send the person to the login page."""


class PageForbidden(Exception):
    """Logged in, but this page is for another role."""

    def __init__(self, role: str, allowed: tuple[str, ...]) -> None:
        self.role, self.allowed = role, allowed


def _dt(value: Any, fmt: str = "%m-%d %H:%M") -> str:
    """ISO timestamps from the backends, shown in Beijing time."""
    if not value:
        return ""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING).strftime(fmt)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _span(span: Any) -> str:
    """{amount, unit} as people say it: 7 工作日, 30 分钟."""
    if not isinstance(span, dict):
        return "—"
    amount = span.get("amount")
    if isinstance(amount, float) and amount.is_integer():
        amount = int(amount)
    return f"{amount} {UNIT_LABELS.get(span.get('unit'), span.get('unit'))}"


def _amount(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


MERGED_INTO = re.compile(r"工单\s*(\S+)")


def _timeline_label(entry: dict[str, Any]) -> str:
    """The headline of one timeline line; a merge names the ticket the resident should follow."""
    kind = entry.get("event_type", "")
    if kind == "TicketMerged":
        found = MERGED_INTO.search(entry.get("note") or "")
        return f"已合并到 {found.group(1)}" if found else "已合并到其他工单"
    return EVENT_LABELS.get(kind, kind)


def _community_name(community_id: str | None) -> str:
    found = get_directory().community(community_id) if community_id else None
    return found.name if found else (community_id or "—")


def _department_name(department_id: str | None) -> str:
    found = get_directory().department(department_id) if department_id else None
    return found.name if found else (department_id or "—")


def _category_name(category_id: str | None) -> str:
    found = get_directory().category(category_id) if category_id else None
    return found.name if found else (category_id or "—")


TEMPLATES.env.filters.update(
    dt=_dt, pct=_pct, community=_community_name, department=_department_name, category=_category_name,
    span=_span, amount=_amount, timeline_label=_timeline_label,
)
TEMPLATES.env.globals.update(
    status_short=STATUS_SHORT, status_tone=STATUS_TONE, event_labels=EVENT_LABELS, role_labels=ROLE_LABELS,
    stage_labels=STAGE_LABELS, urgency_labels=URGENCY_LABELS, unit_labels=UNIT_LABELS, extension_units=EXTENSION_UNITS,
    extension_status=EXTENSION_STATUS,
)


def render(request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    nav = [(path, label) for path, label, roles in NAV if viewer and viewer.role in roles]
    notice = NOTICES.get(request.query_params.get("ok", ""))
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "viewer": viewer,
            "nav": nav,
            "path": request.url.path,
            "notice": notice,
            "directory": get_directory(),
            "demo_mode": request.app.state.settings.env != "production",
            **context,
        },
        status_code=status_code,
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def backends(request: Request) -> Backends:
    return request.app.state.backends


BackendsDep = Annotated[Backends, Depends(backends)]


def optional_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return Viewer(decode_token(token), token)
    except HTTPException:
        return None


def page_for(*roles: str):  # noqa: ANN201 - returns a FastAPI dependency
    """Dependency: a logged-in viewer holding one of `roles`, else the login page or a 403 page."""

    def _check(request: Request) -> Viewer:
        viewer = optional_viewer(request)
        if viewer is None:
            raise LoginRequired()
        if viewer.role not in roles:
            raise PageForbidden(viewer.role, roles)
        return viewer

    return _check


ResidentPage = Annotated[Viewer, Depends(page_for(*RESIDENT_ROLES))]
ConsolePage = Annotated[Viewer, Depends(page_for(*CONSOLE_ROLES))]
WorklistPage = Annotated[Viewer, Depends(page_for(*WORKLIST_ROLES))]
DashboardPage = Annotated[Viewer, Depends(page_for(*DASHBOARD_ROLES))]
SupervisionPage = Annotated[Viewer, Depends(page_for(*SUPERVISION_ROLES))]
AdminPage = Annotated[Viewer, Depends(page_for(*ADMIN_ROLES))]
MergePage = Annotated[Viewer, Depends(page_for(*MERGE_ROLES))]
SupervisorOnly = Annotated[Viewer, Depends(page_for("supervisor"))]

router = APIRouter(default_response_class=HTMLResponse)


# ---------------------------------------------------------------------- login


def _safe_next(target: str | None, viewer_role: str) -> str:
    """Only same-site paths, so the login form cannot be used to bounce people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME_BY_ROLE.get(viewer_role, "/")


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    viewer = optional_viewer(request)
    return redirect(HOME_BY_ROLE.get(viewer.role, "/login") if viewer else "/login")


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query parameter's name
    return render(request, "login.html", optional_viewer(request), next=next or "", error=None, username="")


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "",  # noqa: A002
) -> Response:
    user = request.app.state.users.authenticate(username, password)
    if user is None:
        log.info("login_failed", username=username[:60])
        return render(
            request, "login.html", None, status_code=401, next=next, username=username, error="用户名或密码不正确"
        )
    principal = user.principal()
    settings = request.app.state.settings
    response = redirect(_safe_next(next, principal.role))
    response.set_cookie(
        SESSION_COOKIE,
        mint_token(principal),
        max_age=settings.jwt_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
        path="/",
    )
    log.info("login", username=user.username, role=user.role)
    return response


@router.post("/logout")
def logout() -> Response:
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------------- residents: 吹哨, 我的诉求, detail, rating


def _file_form_defaults(viewer: Viewer) -> dict[str, Any]:
    return {
        "kind": "problem",
        "category": "",
        "title": "",
        "description": "",
        "community_id": viewer.principal.community_id or "",
        "address": "",
        "contact_phone": "",
        "anonymous": False,
    }


@router.get("/file")
def file_form(request: Request, viewer: ResidentPage) -> Response:
    # A fresh key per rendered form: a double click or a resubmit files the ticket once.
    return render(
        request, "file.html", viewer, form=_file_form_defaults(viewer), idempotency_key=secrets.token_urlsafe(18), error=None
    )


@router.post("/file")
async def file_ticket(
    request: Request,
    viewer: ResidentPage,
    clients: BackendsDep,
    idempotency_key: Annotated[str, Form(min_length=8, max_length=100)],
    title: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    kind: Annotated[str, Form(max_length=10)] = "problem",
    community_id: Annotated[str, Form(max_length=40)] = "",
    address: Annotated[str, Form(max_length=400)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
    anonymous: Annotated[bool, Form()] = False,
) -> Response:
    form = {
        "kind": kind if kind in ("problem", "wish") else "problem",
        "category": category or ("wish" if kind == "wish" else ""),
        "title": title.strip(),
        "description": description.strip(),
        "community_id": community_id or viewer.principal.community_id or "",
        "address": address.strip(),
        "contact_phone": contact_phone.strip(),
        "anonymous": anonymous,
    }
    body = {
        "kind": form["kind"],
        "title": form["title"],
        "description": form["description"],
        "category": form["category"],
        "channel": "grid" if viewer.role == "grid_worker" else "h5",
        "community_id": form["community_id"] or None,
        "address": form["address"] or None,
        "contact_phone": form["contact_phone"] or None,
        "anonymous": form["anonymous"],
    }
    try:
        ticket = await clients.call(
            "intake", "POST", "/tickets", token=viewer.token, json=body, headers={"Idempotency-Key": idempotency_key}
        )
    except BackendRejected as exc:
        # Nothing was filed, so the same key may be reused when the person corrects the form.
        return render(
            request,
            "file.html",
            viewer,
            status_code=exc.status_code,
            form=form,
            idempotency_key=idempotency_key,
            error=f"{REJECTION_TITLES.get(exc.status_code, '提交未成功')}：{exc.message}",
        )
    return redirect(f"/tickets/{quote(ticket['id'])}?ok=filed")


@router.get("/mine")
async def my_tickets(request: Request, viewer: ResidentPage, clients: BackendsDep) -> Response:
    tickets = await clients.call("intake", "GET", "/tickets/mine", token=viewer.token, params={"limit": 100})
    awaiting = sum(1 for t in tickets if t["status"] in AWAITING_RATING)
    return render(request, "mine.html", viewer, tickets=tickets, awaiting=awaiting)


@router.get("/tickets/{ticket_id}")
async def ticket_detail(request: Request, ticket_id: str, viewer: ResidentPage, clients: BackendsDep) -> Response:
    ticket = await clients.call("intake", "GET", f"/tickets/{quote(ticket_id)}", token=viewer.token)
    # Right after rating, intake may not have seen TicketRated yet: do not offer the form twice.
    just_rated = request.query_params.get("ok") == "rated"
    can_rate = viewer.role == "resident" and ticket["status"] in AWAITING_RATING and not just_rated
    return render(request, "ticket.html", viewer, ticket=ticket, can_rate=can_rate, choices=SATISFACTION_CHOICES)


@router.post("/tickets/{ticket_id}/rating")
async def rate_ticket(
    ticket_id: str,
    viewer: Annotated[Viewer, Depends(page_for("resident"))],
    clients: BackendsDep,
    satisfaction: Annotated[str, Form(max_length=30)],
    solved: Annotated[str, Form(max_length=5)],
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    body = {"satisfaction": satisfaction, "solved": solved == "yes", "comment": comment.strip() or None}
    await clients.call("feedback", "POST", f"/tickets/{quote(ticket_id)}/rating", token=viewer.token, json=body)
    return redirect(f"/tickets/{quote(ticket_id)}?ok=rated")


# ---------------------------------------------------------------------- community: 社区转哨


@router.get("/console")
async def console(request: Request, viewer: ConsolePage, clients: BackendsDep, tab: str = "queue") -> Response:
    tab = tab if tab in ("queue", "dispatched") else "queue"
    params: list[tuple[str, str]] = [("limit", "200")]
    if tab == "dispatched":
        params += [("status", "dispatched"), ("status", "accepted"), ("status", "resolved"), ("status", "settled_on_spot")]
    tickets = await clients.call("dispatch", "GET", "/tickets", token=viewer.token, params=params)
    return render(request, "console.html", viewer, tickets=tickets, tab=tab)


@router.post("/console/{ticket_id}/dispatch")
async def dispatch_ticket(
    ticket_id: str,
    viewer: ConsolePage,
    clients: BackendsDep,
    department_id: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    body = {"department_id": department_id, "note": note.strip() or None}
    await clients.call("dispatch", "POST", f"/tickets/{quote(ticket_id)}/dispatch", token=viewer.token, json=body)
    return redirect("/console?ok=dispatched")


@router.post("/console/{ticket_id}/settle")
async def settle_on_spot(  # 即办
    ticket_id: str,
    viewer: ConsolePage,
    clients: BackendsDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    await clients.call("dispatch", "POST", f"/tickets/{quote(ticket_id)}/settle", token=viewer.token, json={"note": note.strip()})
    return redirect("/console?ok=settled")


@router.post("/console/{ticket_id}/merge")
async def merge_ticket(  # 合并: a duplicate joins the ticket it repeats
    ticket_id: str,
    viewer: MergePage,
    clients: BackendsDep,
    into_ticket_id: Annotated[str, Form(max_length=40)],
) -> Response:
    body = {"into_ticket_id": into_ticket_id.strip()}
    await clients.call("dispatch", "POST", f"/tickets/{quote(ticket_id)}/merge", token=viewer.token, json=body)
    return redirect("/console?ok=merged")


@router.post("/console/{ticket_id}/suspend")
async def suspend_ticket(  # 挂起 (supervisor): every deadline stops
    ticket_id: str,
    viewer: SupervisorOnly,
    clients: BackendsDep,
    reason: Annotated[str, Form(max_length=500)],
    back: Annotated[str, Form(max_length=40)] = "queue",
) -> Response:
    body = {"reason": reason.strip()}
    await clients.call("dispatch", "POST", f"/tickets/{quote(ticket_id)}/suspend", token=viewer.token, json=body)
    return redirect(f"/console?tab={_console_tab(back)}&ok=suspended")


@router.post("/console/{ticket_id}/resume")
async def resume_ticket(  # 恢复 (supervisor): deadlines run again
    ticket_id: str,
    viewer: SupervisorOnly,
    clients: BackendsDep,
    note: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=40)] = "queue",
) -> Response:
    body = {"note": note.strip() or None}
    await clients.call("dispatch", "POST", f"/tickets/{quote(ticket_id)}/resume", token=viewer.token, json=body)
    return redirect(f"/console?tab={_console_tab(back)}&ok=resumed")


def _console_tab(tab: str) -> str:
    return tab if tab in ("queue", "dispatched") else "queue"


# ---------------------------------------------------------------------- department: 部门办哨


@router.get("/worklist")
async def worklist(request: Request, viewer: WorklistPage, clients: BackendsDep) -> Response:
    tickets = await clients.call("department", "GET", "/tickets", token=viewer.token, params={"limit": 200})
    tickets.sort(key=lambda t: (-t.get("escalation_level", 0), t.get("dispatched_at") or ""))
    return render(request, "worklist.html", viewer, tickets=tickets)


@router.post("/worklist/{ticket_id}/accept")
async def accept_ticket(ticket_id: str, viewer: WorklistPage, clients: BackendsDep) -> Response:
    await clients.call("department", "POST", f"/tickets/{quote(ticket_id)}/accept", token=viewer.token)
    return redirect("/worklist?ok=accepted")


@router.post("/worklist/{ticket_id}/resolve")
async def resolve_ticket(
    ticket_id: str, viewer: WorklistPage, clients: BackendsDep, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    body = {"note": note.strip(), "evidence": []}
    await clients.call("department", "POST", f"/tickets/{quote(ticket_id)}/resolve", token=viewer.token, json=body)
    return redirect("/worklist?ok=resolved")


@router.post("/worklist/{ticket_id}/return")
async def return_ticket(  # 退单
    ticket_id: str, viewer: WorklistPage, clients: BackendsDep, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    await clients.call(
        "department", "POST", f"/tickets/{quote(ticket_id)}/return", token=viewer.token, json={"reason": reason.strip()}
    )
    return redirect("/worklist?ok=returned")


@router.post("/worklist/{ticket_id}/contact")
async def contact_resident(  # 先行联系
    ticket_id: str, viewer: WorklistPage, clients: BackendsDep, note: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    body = {"note": note.strip() or None}
    await clients.call("department", "POST", f"/tickets/{quote(ticket_id)}/contact", token=viewer.token, json=body)
    return redirect("/worklist?ok=contacted")


@router.post("/worklist/{ticket_id}/extension")
async def request_extension(  # 延期申请
    ticket_id: str,
    viewer: WorklistPage,
    clients: BackendsDep,
    amount: Annotated[float, Form(gt=0, le=365)],
    unit: Annotated[Literal["working_days", "working_hours", "clock_hours", "days"], Form()],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    body = {"amount": amount, "unit": unit, "reason": reason.strip()}
    await clients.call("department", "POST", f"/tickets/{quote(ticket_id)}/extension", token=viewer.token, json=body)
    return redirect("/worklist?ok=extension")


# ---------------------------------------------------------------------- supervisors: 督办 (延期审批, 超时诉求)


@router.get("/supervision")
async def supervision(request: Request, viewer: SupervisionPage, clients: BackendsDep) -> Response:
    pending = await clients.call("dispatch", "GET", "/extensions", token=viewer.token, params={"status": "pending", "limit": 200})
    escalated = await clients.call("dashboard", "GET", "/escalated", token=viewer.token, params={"limit": 200})
    return render(request, "supervision.html", viewer, pending=pending, escalated=escalated)


@router.post("/supervision/extensions/{request_event_id}/grant")
async def grant_extension(
    request_event_id: str,
    viewer: SupervisionPage,
    clients: BackendsDep,
    amount: Annotated[str, Form(max_length=20)] = "",
    unit: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Blank amount/unit grant what the department asked for."""
    body: dict[str, Any] = {}
    if amount.strip():
        try:
            body["amount"] = float(amount)
        except ValueError:
            raise BackendRejected("dispatch", 422, "批准时长：请填写数字") from None
    if unit.strip():
        body["unit"] = unit.strip()
    if note.strip():
        body["note"] = note.strip()
    await clients.call(
        "dispatch", "POST", f"/extensions/{quote(request_event_id)}/grant", token=viewer.token, json=body
    )
    return redirect("/supervision?ok=granted")


@router.post("/supervision/extensions/{request_event_id}/refuse")
async def refuse_extension(
    request_event_id: str, viewer: SupervisionPage, clients: BackendsDep, note: Annotated[str, Form(max_length=500)]
) -> Response:
    await clients.call(
        "dispatch", "POST", f"/extensions/{quote(request_event_id)}/refuse", token=viewer.token, json={"note": note.strip()}
    )
    return redirect("/supervision?ok=refused")


# ---------------------------------------------------------------------- admins: 时限政策, 工作日历

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
    policy_text: str | None = None,
    policy_error: str | None = None,
    calendar_form: dict[str, str] | None = None,
    calendar_error: str | None = None,
) -> Response:
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
        stages=[s for s in STAGE_LABELS if s != "joint_on_site"],
        policy_text=policy_text if policy_text is not None else _policy_draft(policy),
        policy_error=policy_error,
        calendar=calendar,
        calendar_form=calendar_form
        or {k: "\n".join(calendar.get(k) or []) for k in ("holidays", "workdays", "remove")},
        calendar_error=calendar_error,
    )


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
            request, viewer, clients, status_code=422, policy_text=document,
            policy_error=f"JSON 格式有误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}",
        )
    if not isinstance(parsed, dict):
        return await _render_admin(
            request, viewer, clients, status_code=422, policy_text=document, policy_error="政策文件应是一个 JSON 对象 {…}"
        )
    try:
        await clients.call("dispatch", "PUT", "/admin/sla-policy", token=viewer.token, json=parsed)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        return await _render_admin(
            request, viewer, clients, status_code=exc.status_code, policy_text=document,
            policy_error=f"{REJECTION_TITLES.get(exc.status_code, '发布未成功')}：{exc.message}",
        )
    return redirect("/admin?ok=policy")


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
    try:
        await clients.call("dispatch", "PUT", "/admin/calendar", token=viewer.token, json=body)
    except BackendRejected as exc:
        if exc.status_code in (401, 403):
            raise
        return await _render_admin(
            request, viewer, clients, status_code=exc.status_code, calendar_form=form,
            calendar_error=f"{REJECTION_TITLES.get(exc.status_code, '保存未成功')}：{exc.message}",
        )
    return redirect("/admin?ok=calendar")


# ---------------------------------------------------------------------- leadership: 数据大屏


@router.get("/dashboard")
async def dashboard(
    request: Request,
    viewer: DashboardPage,
    clients: BackendsDep,
    day: Annotated[str, Query(max_length=10)] = "",
    month: Annotated[str, Query(max_length=7)] = "",
) -> Response:
    summary = await clients.call("dashboard", "GET", "/summary", token=viewer.token, params={"scope": "all"})
    by_community = await clients.call("dashboard", "GET", "/rankings", token=viewer.token, params={"by": "community"})
    by_department = await clients.call("dashboard", "GET", "/rankings", token=viewer.token, params={"by": "department"})
    escalated = await clients.call("dashboard", "GET", "/escalated", token=viewer.token, params={"limit": 50})
    today = datetime.now(BEIJING)
    day = day or today.strftime("%Y-%m-%d")
    month = month or today.strftime("%Y-%m")
    digests, digest_error = await _report(clients, viewer, "/digests", {"day": day})
    history, history_error = await _report(clients, viewer, "/rankings/history", {"month": month})
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
        day=day,
        month=month,
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
        return [], f"{REJECTION_TITLES.get(exc.status_code, '查询未成功')}：{exc.message}"


# ---------------------------------------------------------------------- error pages


def install_error_pages(app: FastAPI) -> None:
    """Every failure becomes a page a person can read; never a stack trace."""

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/login?next={quote(target)}" if request.method == "GET" else "/login")

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        allowed = "、".join(ROLE_LABELS[r] for r in exc.allowed)
        return render(
            request, "error.html", optional_viewer(request), status_code=403,
            title="没有访问权限", message=f"此页面仅对{allowed}开放，您当前的身份是{ROLE_LABELS.get(exc.role, exc.role)}。",
        )

    @app.exception_handler(BackendRejected)
    async def _rejected(request: Request, exc: BackendRejected) -> Response:
        if exc.status_code == 401:
            response = redirect("/login")
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        return render(
            request, "error.html", optional_viewer(request), status_code=exc.status_code,
            title=REJECTION_TITLES.get(exc.status_code, "操作未成功"), message=exc.message,
            source=BACKEND_NAMES_ZH.get(exc.service, exc.service),
        )

    @app.exception_handler(BackendUnavailable)
    async def _unavailable(request: Request, exc: BackendUnavailable) -> Response:
        return render(
            request, "error.html", optional_viewer(request), status_code=503,
            title="服务暂时不可用",
            message=f"{BACKEND_NAMES_ZH.get(exc.service, exc.service)}暂时没有响应，请稍后再试。您的操作没有丢失，可以刷新页面重试。",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "页面不存在", 405: "不支持此操作"}
        return render(
            request, "error.html", optional_viewer(request), status_code=exc.status_code,
            title=titles.get(exc.status_code, "请求未成功"), message="" if exc.status_code in titles else str(exc.detail),
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_form(request: Request, exc: RequestValidationError) -> Response:
        return render(
            request, "error.html", optional_viewer(request), status_code=422,
            title="提交的内容有误", message=describe_detail(exc.errors()),
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("portal_error", path=request.url.path)
        return render(
            request, "error.html", None, status_code=500, title="系统出了点问题", message="请稍后再试；如果一直出现，请联系管理员。"
        )
