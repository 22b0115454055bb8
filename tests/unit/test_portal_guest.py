"""不登录也能吹哨 and 查询进度 on the portal, with intake faked: the pages need no login, call intake's public routes
without a token (forwarding the browser's address), show the number big after filing with the register hint, send
the digits only in a POST body, and show one Chinese message whether the number is unknown or the digits are wrong."""
from __future__ import annotations

import json
import re

import httpx
from fastapi.testclient import TestClient

# Shared fakes and fixtures (fake, settings, portal) of the portal page tests.
from test_portal_pages import FakeBackends, fake, hidden_idempotency_key, log_in, portal, settings  # noqa: F401

from services.portal.pages.guest import FOLLOW_NO_MATCH

NUMBER = "T20261127-3FA2C91B"
NOW = "2026-11-27T02:30:00+00:00"
REPORT = {"kind": "problem", "category": "", "title": "北门路灯不亮", "description": "馨然嘉园北门路灯坏了一周",
          "community_id": "", "address": "馨然嘉园北门", "contact_phone": "13800138000", "contact_name": ""}
LOOKUP = f"/public/tickets/{NUMBER}/lookup"


def public_view(**overrides) -> dict:
    view = {
        "id": NUMBER, "kind": "problem", "title": "北门路灯不亮", "category": "road", "category_name": "道路设施",
        "status": "dispatched", "status_label": "已派单，待部门签收", "community_id": "xinran",
        "community_name": "馨然嘉园社区", "department_name": "城市管理委员会", "created_at": NOW, "updated_at": NOW,
        "timeline": [{"event_type": "TicketFiled", "occurred_at": NOW, "note": "居民吹哨"},
                     {"event_type": "TicketDispatched", "occurred_at": NOW, "note": None},
                     {"event_type": "TicketResolved", "occurred_at": NOW, "note": "路灯已更换"}],
    }
    return {**view, **overrides}


def test_the_login_page_links_filing_and_following_without_an_account(portal: TestClient) -> None:
    page = portal.get("/login")
    assert 'href="/report"' in page.text and "不登录也能吹哨" in page.text
    assert 'href="/follow"' in page.text and "查询办理进度" in page.text


def test_the_report_form_needs_no_login_asks_for_a_mobile_and_says_what_guests_cannot_do(portal: TestClient) -> None:
    page = portal.get("/report", follow_redirects=False)
    assert page.status_code == 200
    assert 'name="contact_phone"' in page.text and "required" in page.text.split('name="contact_phone"')[1].split(">")[0]
    assert "data-photo-picker" not in page.text and 'name="anonymous"' not in page.text  # no photos, no anonymity
    assert "匿名提交的工单不保存手机号，无法凭手机号查询进度" in page.text
    assert "上传照片需要登录" in page.text and 'href="/register"' in page.text
    assert hidden_idempotency_key(page.text) != hidden_idempotency_key(portal.get("/report").text)


def test_filing_calls_intake_without_a_token_and_shows_the_number_big_with_the_follow_link_and_register_hint(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("intake", "POST", "/public/tickets", httpx.Response(201, json=public_view(status="filed", department_name=None)))
    key = hidden_idempotency_key(portal.get("/report").text)
    sent = portal.post("/report", data={**REPORT, "idempotency_key": key}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"/report/filed?ticket={NUMBER}"
    [request] = fake.sent("intake", "POST", "/public/tickets")
    assert "authorization" not in request.headers
    assert request.headers["Idempotency-Key"] == key and request.headers["X-Forwarded-For"] == "testclient"
    assert json.loads(request.content) == {"kind": "problem", "title": "北门路灯不亮", "description": "馨然嘉园北门路灯坏了一周",
                                           "address": "馨然嘉园北门", "contact_phone": "13800138000"}
    done = portal.get(sent.headers["location"])
    assert re.search(rf'class="ticket-number[^"]*"[^>]*>{NUMBER}<', done.text)
    assert "请记下编号，凭编号和手机号后四位查询进度" in done.text
    assert f'href="/follow?ticket={NUMBER}"' in done.text
    assert 'href="/register"' in done.text and "注册账号" in done.text


def test_a_refused_filing_keeps_the_text_and_the_key_and_names_the_field_in_chinese(portal: TestClient, fake: FakeBackends) -> None:
    detail = [{"type": "value_error", "loc": ["body", "contact_phone"], "msg": "Value error, 请填写 11 位手机号码"}]
    fake.on("intake", "POST", "/public/tickets", httpx.Response(422, json={"detail": detail}))
    page = portal.post("/report", data={**REPORT, "contact_phone": "010-6512345", "idempotency_key": "k" * 24})
    assert page.status_code == 422
    assert "联系电话" in page.text and "请填写 11 位手机号码" in page.text
    assert "北门路灯不亮" in page.text and 'value="kkkkkkkkkkkkkkkkkkkkkkkk"' in page.text


def test_a_tampered_form_key_is_a_422_naming_it_and_nothing_reaches_intake(portal: TestClient, fake: FakeBackends) -> None:
    # The key goes on as the Idempotency-Key header: a non-ASCII one was a 500 (found by the portal form fuzzing).
    page = portal.post("/report", data={**REPORT, "idempotency_key": "IlJí!þBâK"})
    assert page.status_code == 422 and "表单标识" in page.text
    assert fake.sent("intake", "POST", "/public/tickets") == []


def test_the_filed_page_shows_only_a_well_formed_number(portal: TestClient) -> None:
    assert portal.get("/report/filed?ticket=<script>", follow_redirects=False).headers["location"] == "/report"
    assert NUMBER in portal.get(f"/report/filed?ticket={NUMBER.lower()}").text


def test_following_sends_the_digits_in_the_body_and_shows_the_progress(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", LOOKUP, httpx.Response(200, json=public_view()))
    form = portal.get(f"/follow?ticket={NUMBER}")
    assert f'value="{NUMBER}"' in form.text  # prefilled from the filed page's link
    page = portal.post("/follow", data={"ticket_id": f" {NUMBER.lower()} ", "phone_last4": "8000"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    [request] = fake.sent("intake", "POST", LOOKUP)
    assert json.loads(request.content) == {"phone_last4": "8000"} and "8000" not in str(request.url)
    assert "authorization" not in request.headers and request.headers["X-Forwarded-For"] == "testclient"
    for text in ("北门路灯不亮", "已派单，待部门签收", "馨然嘉园社区", "城市管理委员会", "道路设施", "路灯已更换", "社区派单", "部门办结"):
        assert text in page.text, text


def test_an_unknown_number_and_wrong_digits_read_the_same(portal: TestClient, fake: FakeBackends) -> None:
    answer = httpx.Response(404, json={"detail": "ticket_id: 未查到该工单，请核对工单编号和手机号后四位"})
    fake.on("intake", "POST", LOOKUP, answer)
    fake.on("intake", "POST", "/public/tickets/T20990101-DEADBEEF/lookup", answer)
    wrong = portal.post("/follow", data={"ticket_id": NUMBER, "phone_last4": "1234"})
    unknown = portal.post("/follow", data={"ticket_id": "T20990101-DEADBEEF", "phone_last4": "1234"})
    assert wrong.status_code == unknown.status_code == 404
    assert FOLLOW_NO_MATCH in wrong.text and FOLLOW_NO_MATCH in unknown.text
    strip = lambda html: html.replace(NUMBER, "N").replace("T20990101-DEADBEEF", "N")  # noqa: E731
    assert strip(wrong.text) == strip(unknown.text)


def test_too_many_wrong_tries_show_the_wait_in_chinese_and_bad_digits_never_reach_intake(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", LOOKUP, httpx.Response(
        429, json={"detail": "phone_last4: 查询错误次数过多，为保护您的信息，请约 60 分钟后再试"}, headers={"Retry-After": "3600"}))
    locked = portal.post("/follow", data={"ticket_id": NUMBER, "phone_last4": "1234"})
    assert locked.status_code == 429 and "查询错误次数过多，为保护您的信息，请约 60 分钟后再试" in locked.text
    bad = portal.post("/follow", data={"ticket_id": NUMBER, "phone_last4": "12a"})
    assert bad.status_code == 422 and "手机号的后四位" in bad.text
    assert len(fake.sent("intake", "POST", LOOKUP)) == 1


def test_a_signed_in_resident_on_the_report_page_is_pointed_to_the_full_form(portal: TestClient) -> None:
    log_in(portal, "resident1")
    page = portal.get("/report")
    assert page.status_code == 200 and 'href="/file"' in page.text and "您已登录" in page.text
