"""Portal hardening (issue 13 item 5): CSRF tokens on every form and POST, the security headers, the session and CSRF
cookies' flags, login rate limits and lockout, argon2id password hashes (old pbkdf2 ones upgraded at login), and user
text escaped on the pages."""
from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from services.portal.app import create_app
from libs.db import make_engine
from services.portal.login_limits import LoginLimiter, PortalRateHit, PortalRateLock
from services.portal.security import CSRF_COOKIE, PortalSecurity
from services.portal.users import PortalUser, hash_password
from tests.portal_client import form_token
from test_portal_pages import PASSWORD, FakeBackends, fake, intake_ticket, log_in, portal, settings  # noqa: F401

LOGIN = {"username": "resident1", "password": PASSWORD}


@pytest.fixture
def browser(settings, fake):  # noqa: F811 - a client that sends no token by itself, like a forged cross-site form
    with TestClient(create_app(settings, transport=httpx.MockTransport(fake.handle)), follow_redirects=False) as client:
        yield client


def test_a_post_without_the_pages_token_or_with_another_is_refused_with_a_chinese_page(browser):
    assert browser.post("/login", data=LOGIN).status_code == 403  # no cookie at all: not from our page
    page = browser.get("/login")
    token = form_token(page.text)
    assert browser.cookies.get(CSRF_COOKIE) == token
    refused = browser.post("/login", data=LOGIN)
    assert refused.status_code == 403 and "页面已过期" in refused.text
    assert browser.post("/login", data={**LOGIN, "csrf_token": token[:-1] + "x"}).status_code == 403
    assert browser.post("/login", data=LOGIN, headers={"X-CSRF-Token": "forged"}).status_code == 403
    browser.cookies.set(CSRF_COOKIE, "planted.0000")  # a cookie the portal did not sign
    assert browser.post("/login", data={**LOGIN, "csrf_token": "planted.0000"}).status_code == 403


def test_the_form_field_or_the_header_from_the_page_is_accepted(browser):
    token = form_token(browser.get("/login").text)
    assert browser.post("/login", data={**LOGIN, "csrf_token": token}).status_code == 303
    assert browser.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303


def test_every_post_form_of_a_page_and_its_head_carry_the_token(portal, fake):  # noqa: F811
    log_in(portal, "xinran_staff")
    fake.on("dispatch", "GET", "/tickets/T1", httpx.Response(200, json={**intake_ticket(id="T1")}))
    for path in ("/login", "/file"):
        html = portal.get(path).text
        forms = re.findall(r"<form\b[^>]*>", html, flags=re.IGNORECASE)
        posts = [f for f in forms if re.search(r"method=[\"']?post", f, re.IGNORECASE)]
        assert posts, path
        assert html.count('name="csrf_token"') >= len(posts)
        assert '<meta name="csrf-token"' in html


def test_pages_and_static_files_carry_the_security_headers(portal):  # noqa: F811
    for path in ("/login", "/static/grid.css"):
        headers = portal.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in headers  # development: no TLS


def test_the_session_and_csrf_cookies_are_httponly_and_samesite(portal):  # noqa: F811
    cookies = [v for k, v in log_in(portal, "resident1").headers.multi_items() if k == "set-cookie"]
    session = next(c for c in cookies if c.startswith("whistle_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    csrf = portal.get("/login", headers={"cookie": ""})
    csrf_cookie = next(v for k, v in csrf.headers.multi_items() if k == "set-cookie" and v.startswith(CSRF_COOKIE))
    assert "HttpOnly" in csrf_cookie and "SameSite=Lax" in csrf_cookie


async def _page(scope, receive, send):  # noqa: ANN001
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": b"<html><head></head><body></body></html>"})


def test_behind_tls_in_production_the_cookie_is_secure_and_hsts_is_sent():
    client = TestClient(PortalSecurity(_page, secret="s" * 40, production=True))
    answer = client.get("/")
    assert "max-age=31536000" in answer.headers["strict-transport-security"]
    assert "Secure" in answer.headers["set-cookie"] and "HttpOnly" in answer.headers["set-cookie"]


def test_five_wrong_passwords_lock_the_username_out_with_429_retry_after_and_a_chinese_message(portal):  # noqa: F811
    for _ in range(5):
        wrong = portal.post("/login", data={"username": "resident1", "password": "nope"}, follow_redirects=False)
        assert wrong.status_code == 401
    locked = portal.post("/login", data=LOGIN, follow_redirects=False)  # even the right password
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in locked.text and "分钟后再试" in locked.text
    assert portal.post("/login", data={"username": "resident2", "password": PASSWORD}, follow_redirects=False).status_code == 303


def test_one_address_spraying_many_usernames_is_locked_out_too(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    SQLModel.metadata.create_all(engine, tables=[PortalRateHit.__table__, PortalRateLock.__table__])
    now = [0.0]
    limiter = LoginLimiter(engine, per_user=5, per_address=20, window=900, lock=900, clock=lambda: now[0])
    for i in range(20):
        assert limiter.retry_after(f"user{i}", "10.0.0.9") is None
        limiter.failed(f"user{i}", "10.0.0.9")
    assert limiter.retry_after("someone-new", "10.0.0.9") == 900
    assert limiter.retry_after("someone-new", "10.0.0.10") is None
    now[0] = 901.0
    assert limiter.retry_after("someone-new", "10.0.0.9") is None
    limiter.failed("a", None), limiter.failed("a", None)
    limiter.succeeded("a")  # a success forgets the username's failures
    for _ in range(4):
        limiter.failed("a", None)
    assert limiter.retry_after("a", None) is None


def test_new_passwords_are_argon2id_at_owasp_parameters():
    stored = hash_password("whistle123")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert stored != hash_password("whistle123")


def test_an_old_pbkdf2_hash_still_logs_in_and_is_stored_again_as_argon2id(portal, monkeypatch):  # noqa: F811
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", None)  # the production policy
    users = portal.app.state.users
    with Session(users.engine) as session:
        user = session.get(PortalUser, "resident2")
        user.password_hash = hash_password(PASSWORD, iterations=120_000)
        session.add(user)
        session.commit()
    log_in(portal, "resident2")
    assert users.get("resident2").password_hash.startswith("$argon2id$")
    log_in(portal, "resident2")  # and the new hash verifies


def test_a_script_in_a_description_is_shown_as_text(portal, fake):  # noqa: F811
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", title=evil, description=evil)))
    log_in(portal, "resident1")
    html = portal.get("/tickets/T1").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html
