"""The portal's browser-facing protections, in one ASGI middleware and one dependency:

- CSRF: every browser holds a random token in the `whistle_csrf` cookie (HttpOnly, SameSite=Lax, Secure in
  production; signed with the JWT secret so nobody can plant one of their choosing). Every HTML page carries it: a
  hidden `csrf_token` field is added to each `<form method="post">` and a `<meta name="csrf-token">` to the head (the
  scripts that POST send it as `X-CSRF-Token`). `check_csrf` (a dependency of every route) refuses a POST, PUT, PATCH
  or DELETE whose field or header does not match the cookie: 403 页面已过期.
- Headers on every answer: a Content-Security-Policy keeping scripts, styles, images and fetches on the portal's own
  origin (no inline script but the `onchange="this.form.submit()"` handler, allowed by its hash; no framing),
  X-Content-Type-Options, Referrer-Policy, X-Frame-Options, Permissions-Policy, Cross-Origin-Opener-Policy, and HSTS in
  production (behind TLS).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from http.cookies import SimpleCookie
from typing import Any

from fastapi import Request

CSRF_COOKIE = "whistle_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
INLINE_HANDLERS = ("this.form.submit()",)  # the only inline script the templates use (a select that submits its form)


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-hashes' " + " ".join(_hash(h) for h in INLINE_HANDLERS),
    "style-src 'self' 'unsafe-inline'",  # style="" attributes in the templates; Leaflet and ECharts style by script
    "img-src 'self' data: blob:",  # photo previews (blob:), QR codes and map icons (data:)
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "geolocation=(self), camera=(self), microphone=()",
    "cross-origin-opener-policy": "same-origin",
}
FORM_TAG = re.compile(rb"<form\b[^>]*\bmethod\s*=\s*[\"']?post[\"']?[^>]*>", re.IGNORECASE)
HEAD_END = re.compile(rb"</head>", re.IGNORECASE)


class CsrfRefused(Exception):
    """A state-changing request without the page's token (or with another one)."""


def _sign(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{token}".encode(), hashlib.sha256).hexdigest()[:32]


def _valid(secret: str, cookie: str | None) -> bool:
    if not cookie or "." not in cookie:
        return False
    token, _, signature = cookie.partition(".")
    return hmac.compare_digest(_sign(secret, token), signature)


class PortalSecurity:
    """ASGI middleware: the CSRF cookie and its copies in each HTML page, and the security headers."""

    def __init__(self, app: Any, *, secret: str, production: bool) -> None:
        self.app, self.secret, self.production = app, secret, production

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = _cookie(scope, CSRF_COOKIE)
        fresh = not _valid(self.secret, cookie)
        if fresh:
            token = secrets.token_urlsafe(24)
            cookie = f"{token}.{_sign(self.secret, token)}"
        scope.setdefault("state", {})
        scope["state"]["csrf"] = {"token": cookie, "fresh": fresh}
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def send_secured(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                if self.production:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                if fresh:
                    secure = "; Secure" if self.production else ""
                    headers.append((b"set-cookie", f"{CSRF_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax{secure}".encode()))
                message = {**message, "headers": headers}
                if _is_html(headers):
                    start.update(message)  # held until the whole page is here: the token goes into its forms
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and start:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = _with_token(b"".join(chunks), str(cookie))
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, send_secured)


def _cookie(scope: dict, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
                return None
            if name in jar:
                return jar[name].value
    return None


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.lower().startswith(b"text/html") for k, v in headers)


def _with_token(body: bytes, token: str) -> bytes:
    field = f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'.encode()
    body = FORM_TAG.sub(lambda m: m.group(0) + field, body)
    return HEAD_END.sub(lambda m: f'<meta name="csrf-token" content="{token}">'.encode() + m.group(0), body, count=1)


async def check_csrf(request: Request) -> None:
    """Dependency of every portal route: a state-changing request carries the page's token (field or header)."""
    if request.method not in UNSAFE:
        return
    csrf = getattr(request.state, "csrf", None)
    if csrf is None or csrf["fresh"]:
        raise CsrfRefused()  # no valid cookie: the page was not ours, or the browser dropped its cookies
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").lower().startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, csrf["token"]):
        raise CsrfRefused()


def install_security(app: Any, *, secret: str, production: bool) -> None:
    """The middleware, and the page a refused request gets (403, in Chinese, with a way back)."""
    from services.portal.views import optional_viewer, render

    @app.exception_handler(CsrfRefused)
    async def _refused(request: Request, _exc: CsrfRefused) -> Any:
        return render(
            request, "error.html", optional_viewer(request), status_code=403, title="页面已过期",
            message="为了您的账号安全，这次提交没有被接受（页面已过期或不是从本站打开的）。请返回上一页，刷新后重新提交。",
        )

    app.add_middleware(PortalSecurity, secret=secret, production=production)
