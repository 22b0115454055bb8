"""手机号注册 against the real intake on PostgreSQL: a ticket filed earlier for a number (by a 12345 operator, reporter =
resident_id(phone)) is in 我的诉求 the moment that number's owner signs up, and opens for them; another resident who
signed up with their own number sees none of it. The portal runs in-process on the run's PostgreSQL (its migrations,
the OTP store's advisory lock and row lock there), calling the in-process backends through an httpx transport."""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.portal_client import PortalClient

from libs.auth import decode_token
from libs.pii import get_vault
from libs.settings import Settings
from services.portal.app import create_app
from services.portal.otp import OtpStore
from services.portal.views import SESSION_COOKIE
from tests.integration.conftest import bearer

OPERATOR = bearer("operator", "op-signup-1", name="热线·何话务员")
PASSWORD = "Sunny2026"


class Clock:
    """The codes' clock: the wall's, moved on when a test needs the next code for a number at once."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.ahead


class Phone:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> str:
        self.sent.append((phone, text))
        return f"m{len(self.sent)}"

    def code(self, phone: str) -> str:
        return re.search(r"验证码是(\d{6})", [t for p, t in self.sent if p == phone][-1]).group(1)


def forward_to(services: dict[str, TestClient]) -> httpx.MockTransport:
    """The portal's backend calls, answered by the in-process services (http://<service>.test/...)."""

    def handle(request: httpx.Request) -> httpx.Response:
        service = services[request.url.host.split(".")[0]]
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        answer = service.request(
            request.method, request.url.path, params=request.url.params, headers=headers, content=request.content
        )
        return httpx.Response(answer.status_code, headers={"content-type": answer.headers.get("content-type", "")},
                              content=answer.content)

    return httpx.MockTransport(handle)


@pytest.fixture(scope="module")
def portal(service_clients) -> Iterator[tuple[TestClient, Phone, Clock]]:
    settings = Settings(**{f"{name}_url": f"http://{name}.test" for name in service_clients})
    assert settings.database_url_for("portal").startswith("postgresql")
    app = create_app(settings, transport=forward_to(service_clients), demo_users_file=None)
    phone, clock = Phone(), Clock()
    with PortalClient(app) as client:
        app.state.otps = OtpStore(app.state.users.engine, settings.jwt_secret, gateway=lambda: phone, clock=clock)
        yield client, phone, clock


def number() -> str:
    return "136" + str(uuid.uuid4().int)[:8]


def sign_up(client: TestClient, phone: Phone, mobile: str, name: str) -> dict:
    client.cookies.clear()
    assert client.post("/register/code", data={"phone": mobile}).status_code == 200
    answer = client.post("/register", follow_redirects=False, data={
        "phone": mobile, "code": phone.code(mobile), "display_name": name, "password": PASSWORD,
        "password_confirm": PASSWORD, "community_id": "xinran",
    })
    assert answer.status_code == 303, answer.text
    return decode_token(answer.cookies[SESSION_COOKIE]).model_dump()


def file_by_hotline(intake: TestClient, caller: str, title: str) -> str:
    body = {"title": title, "description": "5号楼2单元楼道灯坏了一周，晚上老人上下楼不方便", "category": "property",
            "community_id": "xinran", "urgency": "ordinary", "caller_phone": caller, "caller_name": "何先生"}
    made = intake.post("/hotline/tickets", json=body, headers={**OPERATOR, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_a_number_that_called_the_hotline_finds_its_ticket_in_my_tickets_on_signing_up(service_clients, portal) -> None:
    client, phone, _ = portal
    caller, neighbour = number(), number()
    title = f"楼道灯不亮 {uuid.uuid4().hex[:6]}"
    ticket_id = file_by_hotline(service_clients["intake"], caller, title)
    # what the hotline page does for a caller without an account: an unverified one under the same id
    unverified = client.app.state.users.ensure_resident(caller, display_name="何先生", community_id="xinran")
    assert unverified.username == get_vault().resident_id(caller) and not unverified.verified

    claims = sign_up(client, phone, caller, "何先生")
    assert claims["sub"] == get_vault().resident_id(caller)
    mine = client.get("/mine")
    assert mine.status_code == 200 and title in mine.text and ticket_id in mine.text
    detail = client.get(f"/tickets/{ticket_id}")
    assert detail.status_code == 200 and title in detail.text

    # another resident, signed up with their own number, sees none of it
    sign_up(client, phone, neighbour, "李先生")
    assert title not in client.get("/mine").text
    assert client.get(f"/tickets/{ticket_id}").status_code in (403, 404)
    # nor can they take the caller's number over, now it is verified
    client.cookies.clear()
    taken = client.post("/register/code", data={"phone": caller})
    assert taken.status_code == 409 and "该手机号已注册" in taken.text


def test_signing_in_by_code_on_postgres_and_the_code_texted_to_someone_else_opens_nothing(portal) -> None:
    client, phone, clock = portal
    owner, other = number(), number()
    sign_up(client, phone, owner, "王阿姨")
    client.cookies.clear()
    clock.ahead += timedelta(minutes=2)  # a minute must pass between two codes for one number
    # a login code for `other` (no account) is refused; one for the owner works once
    assert client.post("/login/sms/code", data={"phone": other}).status_code == 404
    sent = client.post("/login/sms/code", data={"phone": owner})
    assert sent.status_code == 200
    again = client.post("/login/sms/code", data={"phone": owner})
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0
    code = phone.code(owner)
    wrong = client.post("/login/sms", data={"phone": other, "code": code}, follow_redirects=False)
    assert wrong.status_code == 404 and SESSION_COOKIE not in wrong.cookies
    answer = client.post("/login/sms", data={"phone": owner, "code": code}, follow_redirects=False)
    assert answer.status_code == 303
    assert decode_token(answer.cookies[SESSION_COOKIE]).sub == get_vault().resident_id(owner)
    client.cookies.clear()
    replay = client.post("/login/sms", data={"phone": owner, "code": code}, follow_redirects=False)
    assert replay.status_code == 422 and "请先获取验证码" in replay.text
