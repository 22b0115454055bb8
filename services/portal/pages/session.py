"""Logging in and out, and the front door that sends each role to its own home page."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.auth import mint_token
from libs.pii import mask_phone
from libs.observability import get_logger
from services.portal.forms import LoginForm, Posted
from services.portal.login_limits import LoginLimiter, wait_in_words
from services.portal.users import PortalUser, is_mobile
from services.portal.views import HOME_BY_ROLE, SESSION_COOKIE, optional_viewer, redirect, render

log = get_logger(__name__)

router = APIRouter(default_response_class=HTMLResponse)


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
def login(request: Request, form: Posted[LoginForm]) -> Response:
    limiter = login_limiter(request)
    address = request.client.host if request.client else None
    # A resident types their phone number as the username: it reaches the log masked only.
    typed = mask_phone(form.username) if is_mobile(form.username) else form.username[:60]
    wait = limiter.retry_after(form.username, address)
    if wait is not None:
        log.info("login_locked_out", username=typed, retry_after=wait)
        page = render(
            request, "login.html", None, status_code=429, next=form.next, username=form.username,
            error=f"登录失败次数过多，账号已暂时锁定，请 {wait_in_words(wait)}后再试。",
        )
        page.headers["Retry-After"] = str(wait)
        return page
    user = request.app.state.users.authenticate(form.username, form.password)
    if user is None:
        limiter.failed(form.username, address)
        log.info("login_failed", username=typed)
        return render(
            request, "login.html", None, status_code=401, next=form.next, username=form.username,
            error="用户名或密码不正确",
        )
    limiter.succeeded(form.username)
    return start_session(request, user, form.next)


def login_limiter(request: Request) -> LoginLimiter:
    """The portal's limiter on its database (made on first use; the counts are shared by every replica)."""
    state = request.app.state
    if getattr(state, "login_limiter", None) is None:
        state.login_limiter = LoginLimiter(state.users.engine)
    return state.login_limiter


def start_session(request: Request, user: PortalUser, next_page: str | None, *, how: str = "password") -> Response:
    """Logged in: the session cookie, and on to `next_page` (same-site only) or the role's home page."""
    principal = user.principal()
    settings = request.app.state.settings
    response = redirect(_safe_next(next_page, principal.role))
    response.set_cookie(
        SESSION_COOKIE,
        mint_token(principal),
        max_age=settings.jwt_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.env == "production",
        path="/",
    )
    log.info("login", username=user.username, role=user.role, how=how)
    return response


@router.post("/logout")
def logout() -> Response:
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
