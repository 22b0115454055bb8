"""热线受理 (12345 operators) with the backends faked: the keyboard-first form, filing through intake with the operator's
token and an Idempotency-Key, the caller's account made here (unverified, the id the number owns), the ticket number
shown big with 下一个来电, the caller's history as JSON for the page's script; nobody but an operator gets any of it."""
from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from libs.auth import decode_token
from libs.pii import get_vault
from services.portal.views import SESSION_COOKIE

# Shared fakes and fixtures (fake, settings, portal) of the portal page tests.
from test_portal_pages import FakeBackends, fake, intake_ticket, log_in, portal, settings  # noqa: F401

CALLER = "13800138000"
CALL = {"caller_phone": CALLER, "caller_name": "何先生", "description": "5号楼2单元楼道灯坏了一周\n晚上老人上下楼不方便",
        "category_search": "物业", "category": "property", "community_id": "xinran", "urgency": "urgent", "kind": "problem"}
HISTORY = [
    {"id": "T20261126-0000BBBB", "title": "垃圾没人清", "status": "dispatched", "status_label": "已派单，待部门签收",
     "category": "garbage", "community_id": "shiliuqiao", "created_at": "2026-11-26T02:30:00+00:00"},
    {"id": "T20261120-0000AAAA", "title": "路面塌陷", "status": "closed", "status_label": "已关闭",
     "category": "road", "community_id": "xinran", "created_at": "2026-11-20T01:00:00+00:00"},
]


def form_key(html: str) -> str:
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match, "the hotline form has no hidden Idempotency-Key"
    return match.group(1)


def filed_reply(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(201, json=intake_ticket(id="T20261127-0000CAFE", channel="hotline", community_id="xinran",
                                                  title=body["title"], reporter_phone_masked="138****8000"))


@pytest.fixture
def operator(portal: TestClient) -> TestClient:
    assert log_in(portal, "operator1").headers["location"] == "/hotline"
    return portal


def test_an_operator_logs_in_to_the_hotline_page_built_for_the_keyboard(operator: TestClient) -> None:
    principal = decode_token(operator.cookies[SESSION_COOKIE])
    assert (principal.role, principal.name, principal.community_id) == ("operator", "热线·何话务员", None)
    page = operator.get("/hotline")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert re.search(r'<input name="caller_phone" id="caller-phone"[^>]*\bautofocus\b', html)
    order = [html.index(f'name="{name}"') for name in ("caller_phone", "caller_name", "description", "title",
                                                       "category_search", "category", "kind", "urgency", "community_id",
                                                       "address", "anonymous")]
    assert order == sorted(order), "the Tab order follows the call: number, name, what, category, where"
    assert html.count("autofocus") == 1
    for shortcut in ("Alt+P", "Alt+D", "Alt+C", "Alt+S", "Ctrl+Enter"):
        assert f"<kbd>{shortcut}</kbd>" in html
    assert 'aria-keyshortcuts="Alt+S"' in html and "/static/hotline.js" in html
    assert '<option value="road"' in html and "道路破损" in html and "馨然嘉园社区" in html
    assert 'href="/hotline"' in html and 'href="/console"' not in html and 'href="/file"' not in html  # nav: 热线受理 only
    assert form_key(html) != form_key(operator.get("/hotline").text)


def test_filing_sends_the_call_to_intake_makes_the_callers_account_and_shows_the_number(
    operator: TestClient, fake: FakeBackends
) -> None:
    fake.on("intake", "POST", "/hotline/tickets", filed_reply)
    key = form_key(operator.get("/hotline").text)
    answer = operator.post("/hotline", data={**CALL, "idempotency_key": key}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/hotline?filed=T20261127-0000CAFE"
    [sent] = fake.sent("intake", "POST", "/hotline/tickets")
    assert sent.headers["Idempotency-Key"] == key
    assert decode_token(sent.headers["Authorization"].removeprefix("Bearer ")).sub == "operator1"
    assert json.loads(sent.content) == {
        "kind": "problem", "title": "5号楼2单元楼道灯坏了一周", "description": CALL["description"], "category": "property",
        "urgency": "urgent", "community_id": "xinran", "address": None, "caller_phone": CALLER, "caller_name": "何先生",
        "anonymous": False,
    }
    account = operator.app.state.users.get(get_vault().resident_id(CALLER))
    assert account is not None and (account.role, account.verified, account.display_name, account.community_id) == (
        "resident", False, "何先生", "xinran"
    )

    shown = operator.get(answer.headers["location"]).text
    assert '<p class="filed-number mono" data-ticket-id="T20261127-0000CAFE">T20261127-0000CAFE</p>' in shown
    assert re.search(r'<button class="primary big" autofocus[^>]*>下一个来电 <kbd>Alt\+N</kbd>', shown)
    assert 'action="/hotline"' in shown and 'name="caller_phone"' not in shown  # the next call starts a fresh form


def test_a_retry_files_with_the_same_key_and_the_caller_keeps_one_account(operator: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/hotline/tickets", filed_reply)
    key = form_key(operator.get("/hotline").text)
    for spelling in (CALLER, "+86 138-0013-8000"):
        assert operator.post("/hotline", data={**CALL, "caller_phone": spelling, "idempotency_key": key},
                             follow_redirects=False).status_code == 303
    assert {r.headers["Idempotency-Key"] for r in fake.sent("intake", "POST", "/hotline/tickets")} == {key}
    assert operator.app.state.users.by_phone(CALLER).username == get_vault().resident_id(CALLER)


def test_an_anonymous_call_sends_no_name_and_a_landline_makes_no_account(operator: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/hotline/tickets", filed_reply)
    landline = "010-6688 1234"
    answer = operator.post("/hotline", data={**CALL, "caller_phone": landline, "anonymous": "true",
                                             "idempotency_key": "k" * 20}, follow_redirects=False)
    assert answer.status_code == 303
    body = json.loads(fake.sent("intake", "POST", "/hotline/tickets")[0].content)
    assert (body["anonymous"], body["caller_name"], body["caller_phone"]) == (True, None, landline)
    assert operator.app.state.users.get(get_vault().resident_id(landline)) is None


def test_a_blank_title_is_the_first_line_of_the_description_and_a_blank_category_is_left_to_intake(
    operator: TestClient, fake: FakeBackends
) -> None:
    fake.on("intake", "POST", "/hotline/tickets", filed_reply)
    data = {**CALL, "category": "", "category_search": "", "urgency": "", "community_id": "", "address": "馨然嘉园5号楼",
            "idempotency_key": "k" * 20}
    assert operator.post("/hotline", data=data, follow_redirects=False).status_code == 303
    body = json.loads(fake.sent("intake", "POST", "/hotline/tickets")[0].content)
    assert (body["title"], body["category"], body["urgency"], body["community_id"], body["address"]) == (
        "5号楼2单元楼道灯坏了一周", None, None, None, "馨然嘉园5号楼"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"caller_phone": "1380013"}, "来电号码应为 11 位手机号"), ({"description": ""}, "请填写诉求描述")],
)
def test_a_short_number_or_no_description_is_said_in_chinese_beside_the_kept_text_and_nothing_is_sent(
    operator: TestClient, fake: FakeBackends, changes: dict, message: str
) -> None:
    answer = operator.post("/hotline", data={**CALL, **changes, "idempotency_key": "k" * 20})
    assert answer.status_code == 422
    assert message in answer.text and 'role="alert"' in answer.text
    assert 'value="何先生"' in answer.text and 'value="k' in answer.text
    assert fake.sent("intake", "POST", "/hotline/tickets") == []


def test_an_intake_refusal_is_shown_beside_the_form_with_the_same_key(operator: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/hotline/tickets", httpx.Response(422, json={"detail": "category: 未知的类别 'x'"}))
    answer = operator.post("/hotline", data={**CALL, "idempotency_key": "same-key-123"})
    assert answer.status_code == 422
    assert "未知的类别" in answer.text and form_key(answer.text) == "same-key-123"
    assert "5号楼2单元楼道灯坏了一周" in answer.text
    assert operator.app.state.users.get(get_vault().resident_id(CALLER)) is None  # nothing filed, no account


def test_the_callers_history_comes_from_intake_with_names_and_is_never_cached(operator: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/hotline/callers/tickets", httpx.Response(200, json=HISTORY))
    answer = operator.get("/hotline/caller", params={"phone": CALLER})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    [sent] = fake.sent("intake", "GET", "/hotline/callers/tickets")
    assert sent.url.params["phone"] == CALLER
    assert decode_token(sent.headers["Authorization"].removeprefix("Bearer ")).role == "operator"
    body = answer.json()
    assert body["caller"] == "138****8000" and CALLER not in answer.text
    first = body["tickets"][0]
    assert (first["id"], first["category_name"], first["community_name"], first["status_short"], first["tone"], first["created"]) == (
        "T20261126-0000BBBB", "垃圾分类与清运", "石榴桥社区", "已派单", "info", "2026-11-26 10:30"
    )


def test_a_number_intake_refuses_is_a_422_with_its_message(operator: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/hotline/callers/tickets",
            httpx.Response(422, json={"detail": "phone: 来电号码应为 11 位手机号或带区号的固话号码（收到 7 位数字）"}))
    answer = operator.get("/hotline/caller", params={"phone": "1380013"})
    assert answer.status_code == 422 and "来电号码应为" in answer.json()["detail"]


def test_the_category_suggestion_asks_intake_with_the_operators_token(operator: TestClient, fake: FakeBackends) -> None:
    suggestion = {"suggestions": [{"category": "property", "name": "物业管理", "reason": "命中：楼道、灯", "score": 5}]}
    fake.on("intake", "POST", "/categories/suggest", httpx.Response(200, json=suggestion))
    answer = operator.post("/hotline/suggest", json={"title": "", "description": "楼道灯坏了"})
    assert answer.status_code == 200 and answer.json() == suggestion
    assert json.loads(fake.sent("intake", "POST", "/categories/suggest")[0].content)["description"] == "楼道灯坏了"


@pytest.mark.parametrize("username", ["resident1", "grid1", "xinran_staff", "housing_staff", "supervisor1", "admin"])
def test_nobody_but_an_operator_reaches_the_hotline_pages(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    assert portal.get("/hotline").status_code == 403
    assert portal.get("/hotline/caller", params={"phone": CALLER}).status_code == 403
    assert portal.post("/hotline", data={**CALL, "idempotency_key": "k" * 20}).status_code == 403
    assert portal.post("/hotline/suggest", json={"title": "", "description": "楼道灯坏了"}).status_code == 403
    assert fake.requests == [] or all("/hotline" not in r.url.path and "/categories" not in r.url.path for _s, r in fake.requests)
    assert 'href="/hotline"' not in portal.get("/").text


def test_without_a_session_the_hotline_asks_for_a_login(portal: TestClient) -> None:
    answer = portal.get("/hotline", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/hotline"
