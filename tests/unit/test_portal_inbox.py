"""站内信 and 通知管理 pages with the backends faked: the unread badge in every signed-in role's header, the inbox with
its own token (another's message id is the backend's 404), settings refused beside the form, the admin's roster and
templates, dead letters for staff and not for residents."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from libs.auth import decode_token
from libs.settings import Settings
from services.portal.views import SESSION_COOKIE

# Shared fakes and fixtures of the portal page tests (`settings` is redefined here: notify gets a fake host too).
from test_portal_pages import FakeBackends, fake, log_in, portal  # noqa: F401  (fixtures are used by name)

NOW = "2026-11-27T02:00:00+00:00"
ITEM = {"id": 7, "ticket_id": "T1", "template": "resident_filed", "title": "诉求已受理", "body": "您反映的「路灯不亮」已受理，工单号 T1。",
        "created_at": NOW, "read_at": None}
CONTACT = {"channels": ["sms"], "phone_masked": "139****5678", "email": None, "wechat_openid": None, "stored": True}
DEAD = {"id": 3, "event_id": "e", "event_type": "TicketEscalated", "ticket_id": "T9", "person_id": "leader1", "person_name": "长阳镇·林镇长",
        "channel": "email", "template": "escalated_roster", "title": "督办通知", "address": "zhenzhang@changyang.example.cn",
        "emergency": False, "status": "dead", "attempts": 6, "next_attempt_at": NOW, "last_error": "SMTP: 451", "created_at": NOW, "sent_at": None}
DOCUMENT = {"version": 1, "source": "file", "document": {"version": 1, "people": {}}, "published_by": None, "published_at": None}


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_DEMO_USERS", raising=False)
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    return Settings(
        data_dir=tmp_path, database_url=None, intake_url="http://intake.test", dispatch_url="http://dispatch.test",
        department_url="http://department.test", feedback_url="http://feedback.test", dashboard_url="http://dashboard.test",
        notify_url="http://notify.test",
    )


@pytest.fixture
def inbox_backend(fake: FakeBackends) -> FakeBackends:
    fake.on("notify", "GET", "/inbox/unread", httpx.Response(200, json={"unread": 3}))
    fake.on("notify", "GET", "/inbox", httpx.Response(200, json={"items": [ITEM], "total": 1, "unread": 3}))
    fake.on("notify", "GET", "/me/notify-settings", httpx.Response(200, json=CONTACT))
    return fake


def who_asked(fake: FakeBackends, path: str) -> set[str]:
    return {decode_token(r.headers["authorization"].split()[1]).sub for r in fake.sent("notify", "GET", path)}


@pytest.mark.parametrize("username", ["resident1", "xinran_staff", "urban_staff", "supervisor1", "leader1", "admin", "operator1"])
def test_every_signed_in_role_sees_the_unread_count_in_the_header(portal: TestClient, inbox_backend, username):
    home = portal.get(log_in(portal, username).headers["location"])
    assert 'class="inbox-link" href="/inbox"' in home.text
    assert 'aria-label="3 条未读">3</span>' in home.text
    assert who_asked(inbox_backend, "/inbox/unread") == {username}


def test_without_notify_the_pages_still_open_without_a_badge(portal: TestClient, fake: FakeBackends):
    fake.on("notify", "GET", "/inbox/unread", httpx.Response(503, json={"detail": "down"}))
    fake.on("intake", "GET", "/tickets/mine", httpx.Response(200, json=[]))
    page = portal.get(log_in(portal, "resident1").headers["location"])
    assert page.status_code == 200 and "我的诉求" in page.text and "条未读" not in page.text


def test_the_inbox_lists_my_messages_and_marks_one_read_with_my_own_token(portal: TestClient, inbox_backend):
    log_in(portal, "resident1")
    page = portal.get("/inbox")
    assert page.status_code == 200
    assert "诉求已受理" in page.text and "未读" in page.text and "139****5678" in page.text and 'href="/tickets/T1"' in page.text
    inbox_backend.on("notify", "POST", "/inbox/7/read", httpx.Response(200, json={**ITEM, "read_at": NOW}))
    assert portal.post("/inbox/7/read", follow_redirects=False).headers["location"] == "/inbox#m7"
    [sent] = inbox_backend.sent("notify", "POST", "/inbox/7/read")
    assert decode_token(sent.headers["authorization"].split()[1]).sub == "resident1"


def test_someone_elses_message_is_not_found(portal: TestClient, inbox_backend):
    log_in(portal, "resident2")
    inbox_backend.on("notify", "POST", "/inbox/7/read", httpx.Response(404, json={"detail": "inbox message 7 not found"}))
    assert portal.post("/inbox/7/read").status_code == 404


def test_settings_are_saved_and_a_refusal_is_shown_beside_the_form_in_chinese(portal: TestClient, inbox_backend):
    log_in(portal, "resident1")
    saved = []

    def put(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        saved.append(body)
        if body.get("phone") == "123":
            return httpx.Response(422, json={"detail": "phone: 请填写 11 位手机号码"})
        return httpx.Response(200, json=CONTACT)

    inbox_backend.on("notify", "PUT", "/me/notify-settings", put)
    ok = portal.post("/inbox/settings", data={"channels": ["sms", "email"], "phone": "", "email": "z@example.cn"}, follow_redirects=False)
    assert ok.headers["location"] == "/inbox?ok=notify_settings"
    assert saved[0] == {"channels": ["sms", "email"], "email": "z@example.cn", "wechat_openid": ""}  # a blank phone keeps the number
    refused = portal.post("/inbox/settings", data={"channels": ["sms"], "phone": "123"})
    assert refused.status_code == 422 and "请填写 11 位手机号码" in refused.text and 'value="123"' in refused.text


def test_admins_edit_the_roster_and_templates_and_staff_see_dead_letters(portal: TestClient, inbox_backend):
    inbox_backend.on("notify", "GET", "/dead-letters", httpx.Response(200, json=[DEAD]))
    inbox_backend.on("notify", "GET", "/messages", httpx.Response(200, json=[DEAD]))
    inbox_backend.on("notify", "GET", "/admin/roster", httpx.Response(200, json=DOCUMENT))
    inbox_backend.on("notify", "GET", "/admin/templates", httpx.Response(200, json=DOCUMENT))
    inbox_backend.on("notify", "PUT", "/admin/roster", httpx.Response(422, json={"detail": "communities.mars: unknown community"}))
    log_in(portal, "admin")
    page = portal.get("/notifications")
    assert page.status_code == 200 and "未送达的消息" in page.text and "长阳镇·林镇长" in page.text and "通知名单" in page.text
    refused = portal.post("/notifications/roster", data={"document": json.dumps({"version": 2, "communities": {"mars": {}}})})
    assert refused.status_code == 422 and "communities.mars" in refused.text
    assert portal.post("/notifications/templates", data={"document": "{not json"}).status_code == 422

    portal.cookies.clear()
    log_in(portal, "xinran_staff")
    staff = portal.get("/notifications")
    assert staff.status_code == 200 and "未送达的消息" in staff.text and "通知名单" not in staff.text
    assert portal.post("/notifications/roster", data={"document": "{}"}).status_code == 403

    portal.cookies.clear()
    log_in(portal, "resident1")
    assert portal.get("/notifications").status_code == 403
    assert SESSION_COOKIE in portal.cookies
