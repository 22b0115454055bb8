"""What every page shares: the templates and their filters, the logged-in viewer and the role checks, `render`,
and the error pages."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.auth import Principal, decode_token
from libs.directory import get_directory
from libs.observability import get_logger
from libs.runtime.unavailable import RETRY_AFTER_SECONDS, is_outage
from libs.ticket import TicketStatus
from services.portal.inbox_badge import fetch_unread
from services.portal.clients import (
    BACKEND_NAMES_ZH, FIELD_NAMES_ZH, BackendRejected, Backends, BackendUnavailable, describe_detail,
)
from services.portal.labels import (
    EVENT_LABELS,
    EXTENSION_STATUS,
    HTTP_ERROR_TITLES,
    JOINT_ON_SITE_LABEL,
    KIND_TEXT,
    NOTICES,
    TRIAGE_LABEL,
    UNNAMED_CATEGORY,
    PHOTO_LABELS,
    SUGGESTION_LABELS,
    PAGE_LABELS,
    REJECTION_TITLES,
    ROLE_LABELS,
    SCOPE_LABELS,
    STAGE_LABELS,
    STATUS_SHORT,
    STATUS_TONE,
    UNIT_LABELS,
    URGENCY_LABELS,
)

log = get_logger(__name__)

SESSION_COOKIE = "whistle_session"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
BEIJING = timezone(timedelta(hours=8))

RESIDENT_ROLES = ("resident", "grid_worker")
CONSOLE_ROLES = ("community_staff", "supervisor", "admin")
WORKLIST_ROLES = ("department_staff", "admin")
DASHBOARD_ROLES = ("leader", "supervisor", "admin", "community_staff", "department_staff")  # staff: their own figures
SUPERVISION_ROLES = ("supervisor", "admin")
ADMIN_ROLES = ("admin",)
MERGE_ROLES = ("community_staff", "supervisor")
HOTLINE_ROLES = ("operator",)

HOME_BY_ROLE = {
    "resident": "/mine",
    "grid_worker": "/mine",
    "community_staff": "/console",
    "department_staff": "/worklist",
    "supervisor": "/dashboard",
    "leader": "/dashboard",
    "admin": "/dashboard",
    "operator": "/hotline",
    "volunteer": "/volunteer",
}
NAV_ROLES = {
    "/file": RESIDENT_ROLES,
    "/mine": RESIDENT_ROLES,
    "/grid": ("grid_worker",),
    "/console": CONSOLE_ROLES,
    "/worklist": WORKLIST_ROLES,
    "/dashboard": DASHBOARD_ROLES,
    "/supervision": SUPERVISION_ROLES,
    "/callbacks": ("community_staff", "supervisor"),
    "/triage": ("supervisor",),
    "/admin": ADMIN_ROLES,
    "/hotline": HOTLINE_ROLES,
    "/my-wishes": RESIDENT_ROLES,
    "/volunteer": ("volunteer",),
    "/wish-review": ("community_staff", "supervisor", "admin"),
    "/wall": ("resident", "grid_worker", "volunteer", "community_staff"),
    "/rewards": ("resident", "grid_worker", "volunteer"),  # 积分兑换
    "/rewards/desk": ("community_staff", "supervisor", "admin"),  # 兑换核销
    "/lists": ("resident", "grid_worker", "volunteer"),  # 三张清单
    "/projects/manage": ("community_staff", "supervisor", "admin"),  # 服务项目
    "/notifications": ("admin", "supervisor", "community_staff", "department_staff"),
    "/audit": ("leader", "admin"),  # 操作审计: who did what to a ticket
}
# Statuses in which the resident is asked to rate (while a 回访 call is pending too).
AWAITING_RATING = (TicketStatus.resolved, TicketStatus.settled_on_spot, TicketStatus.callback)  # a late rating is heard
# The units an extension may be asked and granted in (the policy knows more).
ExtensionUnit = Literal["working_days", "working_hours", "clock_hours", "days"]
EXTENSION_UNITS: tuple[str, ...] = get_args(ExtensionUnit)


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


# ---------------------------------------------------------------------- formatting (template filters)


def format_time(value: Any, fmt: str = "%m-%d %H:%M") -> str:
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


def format_rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def format_amount(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def format_span(span: Any) -> str:
    """{amount, unit} as people say it: 7 工作日, 30 分钟."""
    if not isinstance(span, dict):
        return "—"
    return f"{format_amount(span.get('amount'))} {UNIT_LABELS.get(span.get('unit'), span.get('unit'))}"


MERGED_INTO = re.compile(r"工单\s*(\S+)")


def timeline_label(entry: dict[str, Any]) -> str:
    """The headline of one timeline line; a merge names the ticket the resident should follow."""
    kind = entry.get("event_type", "")
    if kind == "TicketMerged":
        found = MERGED_INTO.search(entry.get("note") or "")
        return f"已合并到 {found.group(1)}" if found else "已合并到其他工单"
    return EVENT_LABELS.get(kind, kind)


def _named(kind: str):  # noqa: ANN202 - returns a template filter
    """A filter showing a directory entry's name (community, department, category), else the id (a category:
    未命名类别（id）, never a bare English id), else —."""

    def _name(entry_id: str | None) -> str:
        if kind == "community" and get_directory().is_triage(entry_id):
            return TRIAGE_LABEL
        found = getattr(get_directory(), kind)(entry_id) if entry_id else None
        if found:
            return found.name
        if entry_id and kind == "category":
            return UNNAMED_CATEGORY.format(id=entry_id)
        return entry_id or "—"

    return _name


category_name = _named("category")


TEMPLATES.env.filters.update(
    dt=format_time, pct=format_rate, span=format_span, amount=format_amount, timeline_label=timeline_label,
    community=_named("community"), department=_named("department"), category=category_name,
)
TEMPLATES.env.globals.update(
    status_short=STATUS_SHORT, status_tone=STATUS_TONE, event_labels=EVENT_LABELS, role_labels=ROLE_LABELS,
    stage_labels=STAGE_LABELS, joint_on_site_label=JOINT_ON_SITE_LABEL, urgency_labels=URGENCY_LABELS,
    unit_labels=UNIT_LABELS, extension_units=EXTENSION_UNITS, extension_status=EXTENSION_STATUS,
    scope_labels=SCOPE_LABELS, photo_labels=PHOTO_LABELS, awaiting_rating=AWAITING_RATING, merge_roles=MERGE_ROLES,
)
TEMPLATES.env.globals.update(suggestion_labels=SUGGESTION_LABELS)  # 分类建议, 疑似重复
TEMPLATES.env.globals.update(kind_texts=KIND_TEXT)  # a problem's or a 微心愿's words on the filing forms


# ---------------------------------------------------------------------- rendering


def render(request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    nav = [(path, label) for path, label in PAGE_LABELS.items() if viewer and viewer.role in NAV_ROLES[path]]
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


def rejection_message(exc: BackendRejected, fallback: str) -> str:
    """A backend's refusal as one line next to the form that caused it."""
    return f"{REJECTION_TITLES.get(exc.status_code, fallback)}：{readable_message(exc)}"


_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_FIELD_FIRST = re.compile(r"^([A-Za-z_-]+):")
_QUOTED = re.compile(r"'([^']{1,60})'")


def readable_message(exc: BackendRejected) -> str:
    """A 404 or 403 written for developers (`ticket 'T…' not found`, `community 'x' is outside your scope`) as people
    read it: 未找到该诉求 (naming the number) / 无权查看; anything in Chinese, and other refusals, as they are."""
    message = exc.message
    if exc.status_code not in (403, 404) or _CHINESE.search(message):
        return message
    if exc.status_code == 403:
        return "无权查看或办理此诉求（不在您的管辖范围内）。"
    field = _FIELD_FIRST.match(message)
    prefix = f"{FIELD_NAMES_ZH[field.group(1).lower()]}：" if field and field.group(1).lower() in FIELD_NAMES_ZH else ""
    quoted = _QUOTED.search(message)
    if "ticket" in message.lower():
        return f"{prefix}未找到该诉求" + (f"（编号 {quoted.group(1)}）" if quoted else "") + "，请核对编号；也可能它不在您的管辖范围内。"
    return f"{prefix}未找到这条记录" + (f"（{quoted.group(1)}）" if quoted else "") + "。"


# ---------------------------------------------------------------------- dependencies


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


async def check_account(request: Request, viewer: Viewer) -> None:
    """A session outlives no change an admin makes (用户与权限): a deactivated account, or one whose role changed since
    its token was minted, signs in again."""
    users = getattr(request.app.state, "users", None)
    if users is None:
        return
    account = await asyncio.to_thread(users.get, viewer.principal.sub)
    if account is None or not account.active or account.role != viewer.role:
        raise LoginRequired()


def page_for(*roles: str):  # noqa: ANN201 - returns a FastAPI dependency
    """Dependency: a logged-in viewer holding one of `roles`, else the login page or a 403 page."""

    async def _check(request: Request) -> Viewer:
        viewer = optional_viewer(request)
        if viewer is None:
            raise LoginRequired()
        if viewer.role not in roles:
            raise PageForbidden(viewer.role, roles)
        await check_account(request, viewer)
        if request.method == "GET":
            await fetch_unread(request, viewer.token)  # 站内信 badge in the header
        return viewer

    return _check


ResidentPage = Annotated[Viewer, Depends(page_for(*RESIDENT_ROLES))]
ResidentOnly = Annotated[Viewer, Depends(page_for("resident"))]
ConsolePage = Annotated[Viewer, Depends(page_for(*CONSOLE_ROLES))]
MergePage = Annotated[Viewer, Depends(page_for(*MERGE_ROLES))]
SupervisorOnly = Annotated[Viewer, Depends(page_for("supervisor"))]
WorklistPage = Annotated[Viewer, Depends(page_for(*WORKLIST_ROLES))]
SupervisionPage = Annotated[Viewer, Depends(page_for(*SUPERVISION_ROLES))]
DashboardPage = Annotated[Viewer, Depends(page_for(*DASHBOARD_ROLES))]
AdminPage = Annotated[Viewer, Depends(page_for(*ADMIN_ROLES))]
HotlinePage = Annotated[Viewer, Depends(page_for(*HOTLINE_ROLES))]


# ---------------------------------------------------------------------- error pages


def _error_page(request: Request, status_code: int, title: str, message: str, **context: Any) -> HTMLResponse:
    return render(
        request, "error.html", optional_viewer(request), status_code=status_code, title=title, message=message, **context
    )


def install_error_pages(app: FastAPI) -> None:
    """Every failure becomes a page a person can read; never a stack trace."""

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/login?next={quote(target)}" if request.method == "GET" else "/login")

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        allowed = "、".join(ROLE_LABELS[r] for r in exc.allowed)
        return _error_page(
            request, 403, "没有访问权限", f"此页面仅对{allowed}开放，您当前的身份是{ROLE_LABELS.get(exc.role, exc.role)}。"
        )

    @app.exception_handler(BackendRejected)
    async def _rejected(request: Request, exc: BackendRejected) -> Response:
        if exc.status_code == 401:
            response = redirect("/login")
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        return _error_page(
            request, exc.status_code, REJECTION_TITLES.get(exc.status_code, "操作未成功"), readable_message(exc),
            source=BACKEND_NAMES_ZH.get(exc.service, exc.service),
        )

    @app.exception_handler(BackendUnavailable)
    async def _unavailable(request: Request, exc: BackendUnavailable) -> Response:
        service = BACKEND_NAMES_ZH.get(exc.service, exc.service)
        page = _error_page(
            request, 503, "服务暂时不可用", f"{service}暂时没有响应，请稍后再试。您的操作没有丢失，可以刷新页面重试。"
        )
        page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return page

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = HTTP_ERROR_TITLES.get(exc.status_code)
        return _error_page(request, exc.status_code, title or "请求未成功", "" if title else str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _bad_form(request: Request, exc: RequestValidationError) -> Response:
        return _error_page(request, 422, "提交的内容有误", describe_detail(exc.errors()))

    async def _database_down(request: Request, exc: Exception) -> Response:
        if not is_outage(exc):
            raise exc  # a database bug, not an outage: the 500 page below
        log.warning("service_unavailable", service="portal", path=request.url.path, error=type(exc).__name__)
        page = render(request, "error.html", None, status_code=503, title="服务暂时不可用",
                      message="系统正在恢复，请稍后刷新页面重试。您的操作没有丢失。")
        page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return page

    app.add_exception_handler(sa_exc.DBAPIError, _database_down)  # the portal's own database is down or restarting
    app.add_exception_handler(sa_exc.TimeoutError, _database_down)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("portal_error", path=request.url.path)
        return render(
            request, "error.html", None, status_code=500, title="系统出了点问题", message="请稍后再试；如果一直出现，请联系管理员。"
        )
