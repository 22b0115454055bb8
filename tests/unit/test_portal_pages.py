"""Portal pages with the five backends replaced by an httpx.MockTransport: no servers, no network."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.portal_client import PortalClient

from libs.auth import decode_token
from libs.settings import Settings
from services.portal.views import SESSION_COOKIE
from services.portal.app import create_app

PASSWORD = "whistle123"
NOW = "2026-11-26T02:30:00+00:00"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeBackends:
    """Answers (service, method, path) with canned replies and remembers every request it saw."""

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str, str], Reply] = {}
        self.requests: list[tuple[str, httpx.Request]] = []

    def on(self, service: str, method: str, path: str, reply: Reply) -> None:
        self.replies[(service, method, path)] = reply

    def handle(self, request: httpx.Request) -> httpx.Response:
        service = request.url.host.split(".")[0]
        self.requests.append((service, request))
        reply = self.replies.get((service, request.method, request.url.path))
        if reply is None:
            return httpx.Response(404, json={"detail": f"no fake for {request.method} {request.url.path}"})
        return reply(request) if callable(reply) else reply

    def sent(self, service: str, method: str, path: str) -> list[httpx.Request]:
        return [r for s, r in self.requests if s == service and r.method == method and r.url.path == path]


def intake_ticket(**overrides) -> dict:
    ticket = {
        "id": "T20261126-0000ABCD", "kind": "problem", "title": "小区门口路面塌陷", "description": "3号楼南侧人行道塌陷",
        "category": "road", "address": "馨然嘉园3号楼", "latitude": None, "longitude": None, "urgency": "ordinary",
        "channel": "h5", "community_id": "xinran", "grid_id": None, "status": "filed", "status_label": "已吹哨，待社区转哨",
        "reporter_phone_masked": None, "anonymous": False, "attachments": [], "escalation_level": 0,
        "created_at": NOW, "updated_at": NOW,
        "timeline": [{"event_type": "TicketFiled", "occurred_at": NOW, "note": "居民吹哨"}],
    }
    return {**ticket, **overrides}


@pytest.fixture
def fake() -> FakeBackends:
    return FakeBackends()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_DEMO_USERS", raising=False)
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)  # seeding 14 users stays fast
    return Settings(
        data_dir=tmp_path,
        database_url=None,
        intake_url="http://intake.test",
        dispatch_url="http://dispatch.test",
        department_url="http://department.test",
        feedback_url="http://feedback.test",
        dashboard_url="http://dashboard.test",
    )


@pytest.fixture
def portal(settings: Settings, fake: FakeBackends) -> Iterator[TestClient]:
    app = create_app(settings, transport=httpx.MockTransport(fake.handle))
    with PortalClient(app) as client:
        yield client


def log_in(client: TestClient, username: str) -> httpx.Response:
    response = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def hidden_idempotency_key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match, "the file form has no hidden Idempotency-Key"
    return match.group(1)


FILE_FORM = {
    "kind": "problem",
    "category": "road",
    "title": "小区门口路面塌陷",
    "description": "3号楼南侧人行道塌陷约半米，老人经过很危险。",
    "community_id": "xinran",
    "address": "馨然嘉园3号楼南侧",
    "contact_phone": "13800138000",
}


def test_login_with_the_demo_password_sets_an_httponly_session_cookie_and_goes_home(portal: TestClient) -> None:
    response = log_in(portal, "resident1")
    assert response.headers["location"] == "/mine"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    principal = decode_token(portal.cookies[SESSION_COOKIE])
    assert (principal.sub, principal.role, principal.community_id) == ("resident1", "resident", "xinran")


def test_login_with_a_wrong_password_is_refused_and_sets_no_cookie(portal: TestClient) -> None:
    response = portal.post("/login", data={"username": "resident1", "password": "nope"}, follow_redirects=False)
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.text
    assert SESSION_COOKIE not in portal.cookies


def test_login_with_an_unknown_user_is_refused(portal: TestClient) -> None:
    response = portal.post("/login", data={"username": "nobody", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 401


def test_login_ignores_a_next_address_on_another_site(portal: TestClient) -> None:
    response = portal.post(
        "/login", data={"username": "leader1", "password": PASSWORD, "next": "//evil.example/"}, follow_redirects=False
    )
    assert response.headers["location"] == "/dashboard"


def test_logout_clears_the_session_cookie(portal: TestClient) -> None:
    log_in(portal, "resident1")
    portal.post("/logout", follow_redirects=False)
    assert SESSION_COOKIE not in portal.cookies
    assert portal.get("/", follow_redirects=False).headers["location"] == "/login"


@pytest.mark.parametrize(
    ("username", "home"),
    [("resident1", "/mine"), ("grid1", "/mine"), ("xinran_staff", "/console"), ("urban_staff", "/worklist"),
     ("supervisor1", "/dashboard"), ("leader1", "/dashboard"), ("admin", "/dashboard")],
)
def test_root_redirects_each_role_to_its_home(portal: TestClient, username: str, home: str) -> None:
    log_in(portal, username)
    assert portal.get("/", follow_redirects=False).headers["location"] == home


def test_a_page_without_a_session_redirects_to_login_and_back(portal: TestClient) -> None:
    response = portal.get("/console?tab=dispatched", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/console")


@pytest.mark.parametrize(
    ("username", "path"),
    [("resident1", "/worklist"), ("resident1", "/console"), ("resident1", "/dashboard"), ("urban_staff", "/file"),
     ("xinran_staff", "/worklist"), ("leader1", "/mine")],
)
def test_a_wrong_role_gets_a_403_page(portal: TestClient, fake: FakeBackends, username: str, path: str) -> None:
    log_in(portal, username)
    response = portal.get(path)
    assert response.status_code == 403
    assert "没有访问权限" in response.text
    assert fake.requests == [], "a forbidden page must not call any backend"


def test_a_resident_may_not_post_a_department_action(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "resident1")
    assert portal.post("/worklist/T1/accept").status_code == 403
    assert fake.requests == []


def test_resident_file_form_posts_the_ticket_json_with_an_idempotency_key_to_intake(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("intake", "POST", "/tickets", httpx.Response(201, json=intake_ticket()))
    log_in(portal, "resident1")
    form = portal.get("/file")
    assert form.status_code == 200
    key = hidden_idempotency_key(form.text)

    response = portal.post("/file", data={**FILE_FORM, "idempotency_key": key}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/tickets/T20261126-0000ABCD?ok=filed"
    (sent,) = fake.sent("intake", "POST", "/tickets")
    assert sent.headers["Idempotency-Key"] == key
    assert sent.headers["Authorization"] == f"Bearer {portal.cookies[SESSION_COOKIE]}"
    assert json.loads(sent.content) == {
        "kind": "problem",
        "title": "小区门口路面塌陷",
        "description": "3号楼南侧人行道塌陷约半米，老人经过很危险。",
        "category": "road",
        "channel": "h5",
        "community_id": "xinran",
        "address": "馨然嘉园3号楼南侧",
        "contact_phone": "13800138000",
        "anonymous": False,
    }


def test_each_rendering_of_the_file_form_gets_a_new_idempotency_key(portal: TestClient) -> None:
    log_in(portal, "resident1")
    assert hidden_idempotency_key(portal.get("/file").text) != hidden_idempotency_key(portal.get("/file").text)


def test_a_double_submit_of_one_form_sends_the_same_idempotency_key_twice(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/tickets", httpx.Response(201, json=intake_ticket()))
    log_in(portal, "resident1")
    key = hidden_idempotency_key(portal.get("/file").text)
    for _ in range(2):
        portal.post("/file", data={**FILE_FORM, "idempotency_key": key}, follow_redirects=False)
    assert {r.headers["Idempotency-Key"] for r in fake.sent("intake", "POST", "/tickets")} == {key}


def test_the_file_form_defaults_to_the_residents_own_community(portal: TestClient) -> None:
    log_in(portal, "resident2")
    assert '<option value="shiliuqiao" selected>' in portal.get("/file").text


def test_an_anonymous_grid_worker_filing_is_sent_as_grid_channel_and_anonymous(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/tickets", httpx.Response(201, json=intake_ticket()))
    log_in(portal, "grid1")
    key = hidden_idempotency_key(portal.get("/file").text)
    portal.post("/file", data={**FILE_FORM, "contact_phone": "", "anonymous": "true", "idempotency_key": key})
    body = json.loads(fake.sent("intake", "POST", "/tickets")[0].content)
    assert (body["channel"], body["anonymous"], body["contact_phone"]) == ("grid", True, None)


def test_a_backend_422_is_shown_as_a_message_on_the_form_not_a_500(portal: TestClient, fake: FakeBackends) -> None:
    detail = [{
        "loc": ["body", "title"], "msg": "String should have at least 2 characters", "type": "string_too_short",
        "ctx": {"min_length": 2},
    }]
    fake.on("intake", "POST", "/tickets", httpx.Response(422, json={"detail": detail}))
    log_in(portal, "resident1")
    key = hidden_idempotency_key(portal.get("/file").text)

    response = portal.post("/file", data={**FILE_FORM, "title": "坑", "idempotency_key": key})

    assert response.status_code == 422
    assert "提交的内容有误" in response.text
    assert "标题：至少 2 个字" in response.text
    assert 'value="坑"' in response.text, "what the resident typed is kept"
    assert hidden_idempotency_key(response.text) == key, "nothing was filed, so the same key is reused"


def test_a_backend_domain_error_string_is_shown_on_an_error_page(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/dispatch", httpx.Response(409, json={"detail": "ticket T1 is already dispatched"}))
    log_in(portal, "xinran_staff")
    response = portal.post("/console/T1/dispatch", data={"department_id": "urban"})
    assert response.status_code == 409
    assert "操作与当前状态冲突" in response.text and "ticket T1 is already dispatched" in response.text


@pytest.mark.parametrize(
    ("username", "path", "data", "message"),
    [
        ("supervisor1", "/console/T1/suspend", {"back": "dispatched"}, "理由：必填"),
        ("xinran_staff", "/console/T1/dispatch", {"department_id": "urban", "note": "说" * 501}, "说明：最多 500 个字"),
        ("urban_staff", "/worklist/T1/extension", {"amount": "2", "unit": "days"}, "理由：必填"),
        ("admin", "/admin/calendar", {"holidays": "2" * 20_001}, "节假日：最多 20000 个字"),
        ("leader1", "/dashboard?day=2026-01-011", None, "日期：最多 10 个字"),
    ],
)
def test_a_form_the_portal_refuses_names_the_field_and_calls_no_backend(
    portal: TestClient, fake: FakeBackends, username: str, path: str, data: dict | None, message: str
) -> None:
    log_in(portal, username)
    response = portal.get(path) if data is None else portal.post(path, data=data)
    assert response.status_code == 422
    assert "提交的内容有误" in response.text and message in response.text
    assert [r for _, r in fake.requests if r.url.path != "/inbox/unread"] == []  # the header's 站内信 badge aside


def test_typed_text_is_stripped_and_a_blank_optional_note_is_sent_as_null(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/dispatch", httpx.Response(200, json={}))
    fake.on("dispatch", "POST", "/tickets/T1/merge", httpx.Response(200, json={}))
    log_in(portal, "xinran_staff")
    portal.post("/console/T1/dispatch", data={"department_id": "urban", "note": "   "})
    portal.post("/console/T1/merge", data={"into_ticket_id": " T2 "})
    assert json.loads(fake.sent("dispatch", "POST", "/tickets/T1/dispatch")[0].content) == {"department_id": "urban", "note": None}
    assert json.loads(fake.sent("dispatch", "POST", "/tickets/T1/merge")[0].content) == {"into_ticket_id": "T2"}


def test_an_unreachable_backend_shows_a_503_page_without_a_stack_trace(portal: TestClient, fake: FakeBackends) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake.on("intake", "GET", "/tickets/mine", refuse)
    log_in(portal, "resident1")
    response = portal.get("/mine")
    assert response.status_code == 503
    assert "服务暂时不可用" in response.text and "吹哨受理服务" in response.text
    assert "Traceback" not in response.text and "ConnectError" not in response.text


def test_a_backend_500_is_shown_as_unavailable(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dashboard", "GET", "/summary", httpx.Response(500, text="Internal Server Error"))
    log_in(portal, "leader1")
    assert portal.get("/dashboard").status_code == 503


def test_my_tickets_lists_status_labels_and_asks_for_a_rating(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/mine", httpx.Response(200, json=[
        intake_ticket(), intake_ticket(id="T2", title="楼道灯不亮", status="resolved", status_label="已办结，待评价"),
    ]))
    log_in(portal, "resident1")
    page = portal.get("/mine").text
    assert "待转哨" in page and "已办结，待评价" in page and "去评价" in page and "楼道灯不亮" in page


def test_ticket_detail_shows_the_timeline_and_a_rating_form_when_resolved(portal: TestClient, fake: FakeBackends) -> None:
    timeline = [
        {"event_type": "TicketFiled", "occurred_at": NOW, "note": "居民吹哨"},
        {"event_type": "TicketResolved", "occurred_at": NOW, "note": "已修复路面"},
    ]
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", status="resolved", timeline=timeline)))
    log_in(portal, "resident1")
    page = portal.get("/tickets/T1").text
    assert "部门办结" in page and "已修复路面" in page
    assert 'action="/tickets/T1/rating"' in page and "基本满意" in page


def test_ticket_detail_does_not_offer_the_rating_form_again_right_after_rating(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", status="resolved")))
    log_in(portal, "resident1")
    page = portal.get("/tickets/T1?ok=rated").text
    assert "感谢您的评价" in page and "/rating" not in page


def test_ticket_detail_has_no_rating_form_while_in_progress(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", status="accepted")))
    log_in(portal, "resident1")
    assert "/rating" not in portal.get("/tickets/T1").text


def test_the_rating_form_posts_satisfaction_and_solved_to_feedback(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("feedback", "POST", "/tickets/T1/rating", httpx.Response(200, json={}))
    log_in(portal, "resident1")
    response = portal.post(
        "/tickets/T1/rating", data={"satisfaction": "basically_satisfied", "solved": "no", "comment": " 还行 "},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/tickets/T1?ok=rated&satisfaction=basically_satisfied&solved=no"
    (sent,) = fake.sent("feedback", "POST", "/tickets/T1/rating")
    assert json.loads(sent.content) == {"satisfaction": "basically_satisfied", "solved": False, "comment": "还行"}


def dispatch_ticket(**overrides) -> dict:
    ticket = {
        "id": "T1", "community_id": "xinran", "grid_id": None, "kind": "problem", "title": "供水管爆裂",
        "description": "5号楼地下室漏水", "category": "water_supply", "urgency": "urgent", "address": None,
        "channel": "h5", "anonymous": False, "reporter_phone_masked": "138****8000", "status": "filed",
        "status_label": "已吹哨，待社区转哨", "proposed_department_id": "water", "department_id": None,
        "return_count": 0, "last_return_reason": None, "escalation_level": 0, "filed_at": NOW, "updated_at": NOW,
    }
    return {**ticket, **overrides}


def test_the_community_console_preselects_the_proposed_department(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket()]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert '<option value="water" selected>水务局（建议）</option>' in page
    assert 'action="/console/T1/settle"' in page


def test_the_old_dispatched_tab_asks_dispatch_for_the_tickets_in_hand(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket(status="dispatched", department_id="water")]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console?tab=dispatched").text
    assert "承办部门" in page and "水务局" in page
    (sent,) = fake.sent("dispatch", "GET", "/tickets")
    assert sent.url.params["tab"] == "handling"


def test_dispatching_posts_the_department_and_note(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/dispatch", httpx.Response(200, json=dispatch_ticket(status="dispatched")))
    log_in(portal, "xinran_staff")
    response = portal.post("/console/T1/dispatch", data={"department_id": "water", "note": "请今日处理"}, follow_redirects=False)
    assert response.headers["location"] == "/console?selected=T1&ok=dispatched"
    assert json.loads(fake.sent("dispatch", "POST", "/tickets/T1/dispatch")[0].content) == {
        "department_id": "water", "note": "请今日处理",
    }


def department_ticket(**overrides) -> dict:
    ticket = {
        "id": "T1", "department_id": "urban", "community_id": "xinran", "grid_id": None, "kind": "problem",
        "title": "路面塌陷", "description": "3号楼南侧", "category": "road", "urgency": "ordinary", "address": None,
        "anonymous": False, "reporter_phone_masked": None, "dispatch_note": None, "status": "accepted",
        "status_label": "部门办理中", "resolution_note": None, "evidence": [], "escalation_level": 2,
        "dispatched_at": NOW, "accepted_at": NOW, "resolved_at": None, "updated_at": NOW,
    }
    return {**ticket, **overrides}


def test_the_department_worklist_shows_the_escalation_badge_and_resolve_form(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[department_ticket()]))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist").text
    assert "督办 · 2级" in page
    assert 'action="/worklist/T1/resolve"' in page and 'action="/worklist/T1/return"' in page


def test_returning_a_ticket_posts_the_reason(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "POST", "/tickets/T1/return", httpx.Response(200, json=department_ticket(status="returned")))
    log_in(portal, "urban_staff")
    portal.post("/worklist/T1/return", data={"reason": "属物业管理范围"}, follow_redirects=False)
    assert json.loads(fake.sent("department", "POST", "/tickets/T1/return")[0].content) == {"reason": "属物业管理范围"}


def summary(scope: str, filed: int, response: float | None, closure: float | None, satisfaction: float | None) -> dict:
    return {
        "scope": scope, "filed": filed, "by_status": {"filed": 2, "closed": 1} if filed else {}, "returned": 0,
        "reopened": 0, "escalated": 1, "rated": 0,
        "rates": {"response_rate": response, "closure_rate": closure, "satisfaction_rate": satisfaction},
    }


def test_the_dashboard_shows_rates_rankings_and_a_dash_for_a_missing_rate(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dashboard", "GET", "/summary", httpx.Response(200, json=summary("all", 3, 0.6667, 0.3333, None)))

    def rankings(request: httpx.Request) -> httpx.Response:
        by = request.url.params["by"]
        first = "community:xinran" if by == "community" else "department:water"
        return httpx.Response(200, json=[summary(first, 3, 1.0, 0.5, None)])

    fake.on("dashboard", "GET", "/rankings", rankings)
    fake.on("dashboard", "GET", "/escalated", httpx.Response(200, json=[{
        "id": "T9", "title": "暖气不热", "community_id": "xinran", "department_id": "housing", "status": "dispatched",
        "escalation_level": 1, "updated_at": NOW,
    }]))
    log_in(portal, "leader1")
    page = portal.get("/dashboard").text
    assert "66.7%" in page and "33.3%" in page and "—" in page
    assert "馨然嘉园社区" in page and "水务局" in page
    assert "暖气不热" in page and "住房和城乡建设委员会" in page


def test_readyz_is_ready_with_every_backend_down(portal: TestClient, fake: FakeBackends) -> None:
    response = portal.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ready"
    assert fake.requests == []


def test_the_stylesheet_is_served(portal: TestClient) -> None:
    response = portal.get("/static/portal.css")
    assert response.status_code == 200 and "text/css" in response.headers["content-type"]


def test_an_unknown_page_gets_a_friendly_404(portal: TestClient) -> None:
    response = portal.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.text
