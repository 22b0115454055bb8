"""手机号注册 (/register) and 短信验证码登录 (/login/sms): one form each, no script needed. 获取验证码 posts the same form to
its `/code` route, which texts a code and shows the form again with what was typed (never the password); a refusal
is shown beside the field it concerns, with its status (404/409/422/429 with Retry-After/503), never a 500."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from libs.pii import mask_phone
from services.portal.forms import Posted
from services.portal.otp import CODE_TTL, RESEND_AFTER, OtpError, Throttled
from services.portal.pages.session import start_session
from services.portal.signup import Accounts, PhoneForm, RegisterForm, SignupError
from services.portal.views import HOME_BY_ROLE, optional_viewer, redirect, render

router = APIRouter(default_response_class=HTMLResponse)

SENT = "验证码已发送至 {masked}，{minutes} 分钟内有效；{wait} 秒后可重新获取。"


def accounts(request: Request) -> Accounts:
    return Accounts(request.app.state.users, request.app.state.otps)


def client_address(request: Request) -> str | None:
    """Who asks for a code, for the per-address limit (PORTAL_TRUSTED_PROXIES: whose X-Forwarded-For is believed)."""
    peer = request.client.host if request.client else None
    return request.app.state.otp_settings.client_address(peer, request.headers.get("x-forwarded-for"))


def communities() -> list[Any]:
    directory = get_directory()
    return [c for c in directory.communities if not directory.is_triage(c.id)]


def _form_page(
    request: Request, template: str, form: PhoneForm, *, status_code: int = 200, error: SignupError | OtpError | None = None,
    sent: bool = False,
) -> Response:
    """The form again with what was typed (never the password) and either the refusal beside its field or 已发送."""
    masked = mask_phone(form.phone) if sent else None
    response = render(
        request, template, optional_viewer(request), status_code=status_code, form=form, communities=communities(),
        error=error.message if error else None, error_field=error.field if error else None,
        sent=SENT.format(masked=masked, minutes=int(CODE_TTL.total_seconds() // 60), wait=int(RESEND_AFTER.total_seconds()))
        if sent else None,
    )
    if isinstance(error, Throttled):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _already_in(request: Request) -> Response | None:
    viewer = optional_viewer(request)
    return redirect(HOME_BY_ROLE.get(viewer.role, "/")) if viewer else None


# ---------------------------------------------------------------------- 手机号注册


@router.get("/register")
def register_page(request: Request) -> Response:
    return _already_in(request) or _form_page(request, "register.html", RegisterForm())


@router.post(
    "/register/code",
    responses={409: {"description": "该手机号已注册"}, 422: {"description": "手机号格式不正确"},
               429: {"description": "获取太频繁（Retry-After）"}, 503: {"description": "短信发送失败"}},
)
def register_code(request: Request, form: Posted[RegisterForm]) -> Response:
    try:
        accounts(request).send_register_code(form.phone, client_address(request))
    except (SignupError, OtpError) as exc:
        return _form_page(request, "register.html", form, status_code=exc.status_code, error=exc)
    return _form_page(request, "register.html", form, sent=True)


@router.post(
    "/register",
    responses={409: {"description": "该手机号已注册"}, 422: {"description": "某项填写有误，或验证码不正确/已过期"},
               429: {"description": "验证码输错次数过多"}},
)
def register(request: Request, form: Posted[RegisterForm]) -> Response:
    try:
        user = accounts(request).register(form)
    except (SignupError, OtpError) as exc:
        return _form_page(request, "register.html", form, status_code=exc.status_code, error=exc)
    response = start_session(request, user, "/mine?ok=registered", how="register")
    return response


# ---------------------------------------------------------------------- 短信验证码登录


@router.get("/login/sms")
def sms_login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query parameter's name
    return _already_in(request) or _form_page(request, "login_sms.html", PhoneForm(next=next or ""))


@router.post(
    "/login/sms/code",
    responses={404: {"description": "该手机号还没有注册"}, 422: {"description": "手机号格式不正确"},
               429: {"description": "获取太频繁（Retry-After）"}, 503: {"description": "短信发送失败"}},
)
def sms_login_code(request: Request, form: Posted[PhoneForm]) -> Response:
    try:
        accounts(request).send_login_code(form.phone, client_address(request))
    except (SignupError, OtpError) as exc:
        return _form_page(request, "login_sms.html", form, status_code=exc.status_code, error=exc)
    return _form_page(request, "login_sms.html", form, sent=True)


@router.post(
    "/login/sms",
    responses={404: {"description": "该手机号还没有注册"}, 422: {"description": "验证码不正确或已过期"},
               429: {"description": "验证码输错次数过多"}},
)
def sms_login(request: Request, form: Posted[PhoneForm]) -> Response:
    try:
        user = accounts(request).login_with_code(form.phone, form.code)
    except (SignupError, OtpError) as exc:
        return _form_page(request, "login_sms.html", form, status_code=exc.status_code, error=exc)
    return start_session(request, user, form.next, how="sms")
