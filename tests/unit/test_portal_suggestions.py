"""Portal pieces of 分类建议 and 疑似重复, with the backends faked: the H5 form suggests a category while the resident
types (and leaves it to intake when blank), the ticket page says why a category was chosen, the community console
shows the suggestion's reason, a 调整分类 control and the duplicate hints with 合并 buttons."""
from __future__ import annotations

import json

import httpx
from fastapi.testclient import TestClient

from tests.unit.test_portal_pages import (  # noqa: F401 - fixtures
    FILE_FORM,
    FakeBackends,
    dispatch_ticket,
    fake,
    hidden_idempotency_key,
    intake_ticket,
    log_in,
    portal,
    settings,
)

SUGGESTED = {
    "rules_version": 1, "fallback": "other",
    "suggestions": [{"category": "road", "name": "道路破损", "score": 6.0, "matched": ["井盖", "塌陷"], "reason": "匹配关键词：井盖、塌陷"}],
}
HINT = {
    "ticket_id": "T0", "title": "井盖丢失", "category": "road", "status": "filed", "status_label": "已吹哨，待社区转哨",
    "address": None, "distance_m": 86.4, "hours_apart": 3.25, "filed_at": "2026-11-26T00:00:00+00:00",
}


def test_the_file_form_offers_an_automatic_category_and_loads_the_suggestion_script(portal: TestClient) -> None:
    log_in(portal, "resident1")
    page = portal.get("/file").text
    assert '<option value="" selected data-kind-text="category_auto">不确定？由系统根据描述推荐</option>' in page
    assert 'id="category-suggestion"' in page and "/static/suggest.js" in page
    assert '<select name="category" id="category">' in page  # not required: intake suggests a blank one
    assert portal.get("/static/suggest.js").status_code == 200


def test_the_form_asks_intake_for_a_suggestion_as_the_resident_types(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/categories/suggest", httpx.Response(200, json=SUGGESTED))
    log_in(portal, "resident1")
    answer = portal.post("/file/suggest", json={"title": "井盖丢了", "description": "路面塌陷"})
    assert answer.status_code == 200 and answer.json() == SUGGESTED
    (sent,) = fake.sent("intake", "POST", "/categories/suggest")
    assert json.loads(sent.content) == {"title": "井盖丢了", "description": "路面塌陷"}
    assert sent.headers["Authorization"].startswith("Bearer ")


def test_only_people_who_file_may_ask_for_suggestions(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/categories/suggest", httpx.Response(200, json=SUGGESTED))
    log_in(portal, "urban_staff")
    assert portal.post("/file/suggest", json={"title": "井盖"}, follow_redirects=False).status_code == 403
    assert fake.sent("intake", "POST", "/categories/suggest") == []


def test_a_blank_category_is_sent_as_null_so_intake_suggests_one(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/tickets", httpx.Response(201, json=intake_ticket()))
    log_in(portal, "resident1")
    key = hidden_idempotency_key(portal.get("/file").text)
    response = portal.post("/file", data={**FILE_FORM, "category": "", "idempotency_key": key}, follow_redirects=False)
    assert response.status_code == 303
    (sent,) = fake.sent("intake", "POST", "/tickets")
    assert json.loads(sent.content)["category"] is None


def test_the_ticket_page_says_why_the_system_chose_the_category(portal: TestClient, fake: FakeBackends) -> None:
    ticket = intake_ticket(suggested_category="road", suggestion_reason="匹配关键词：井盖、塌陷")
    fake.on("intake", "GET", "/tickets/T20261126-0000ABCD", httpx.Response(200, json=ticket))
    log_in(portal, "resident1")
    page = portal.get("/tickets/T20261126-0000ABCD").text
    assert "系统根据描述归类：匹配关键词：井盖、塌陷" in page


def test_the_console_shows_the_suggestion_reason_duplicate_hints_with_merge_and_a_category_control(
    portal: TestClient, fake: FakeBackends
) -> None:
    placed = dispatch_ticket(
        category="road", proposed_department_id="urban", latitude=39.75, longitude=116.14,
        suggested_category="road", suggestion_reason="匹配关键词：井盖、塌陷",
    )
    unplaced = dispatch_ticket(id="T2", latitude=None, longitude=None)
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[placed, unplaced]))
    fake.on("dispatch", "GET", "/duplicates", httpx.Response(200, json={"T1": [HINT]}))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert "分类建议：道路破损（匹配关键词：井盖、塌陷）" in page
    assert "疑似重复" in page and "相距 86 米" in page and "井盖丢失" in page
    assert 'action="/console/T1/merge"' in page and '<input type="hidden" name="into_ticket_id" value="T0">' in page
    assert 'action="/console/T1/category"' in page and "调整分类" in page
    (asked,) = fake.sent("dispatch", "GET", "/duplicates")
    assert asked.url.params.get_list("ticket_id") == ["T1"]  # only tickets with a position can be near another


def test_the_console_asks_for_no_hints_when_no_ticket_has_a_position(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket(latitude=None, longitude=None)]))
    log_in(portal, "xinran_staff")
    assert portal.get("/console").status_code == 200
    assert fake.sent("dispatch", "GET", "/duplicates") == []


def test_changing_the_category_posts_it_to_dispatch(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/category", httpx.Response(200, json=dispatch_ticket(category="property")))
    log_in(portal, "xinran_staff")
    response = portal.post("/console/T1/category", data={"category": "property", "note": " 属物业 "}, follow_redirects=False)
    assert response.headers["location"] == "/console?selected=T1&ok=recategorized"
    assert json.loads(fake.sent("dispatch", "POST", "/tickets/T1/category")[0].content) == {"category": "property", "note": "属物业"}
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[]))
    assert "已调整问题类别" in portal.get("/console?selected=T1&ok=recategorized").text


def test_a_resident_may_not_change_a_category(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "resident1")
    assert portal.post("/console/T1/category", data={"category": "road"}, follow_redirects=False).status_code == 403
    assert fake.sent("dispatch", "POST", "/tickets/T1/category") == []


def test_the_console_is_shown_without_hints_when_dispatch_refuses_them(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket(latitude=39.75, longitude=116.14)]))
    fake.on("dispatch", "GET", "/duplicates", httpx.Response(403, json={"detail": "scope"}))
    log_in(portal, "xinran_staff")
    page = portal.get("/console")
    assert page.status_code == 200 and "供水管爆裂" in page.text and "疑似重复" not in page.text


RULES = {
    "version": 2, "source": "stored", "published_by": "admin", "published_at": "2026-11-26T02:30:00+00:00",
    "document": {"version": 2, "fallback": "other", "categories": {"road": {"路面": 3, "井盖": 5}, "noise": {"噪音": 3}}},
}


def admin_page_backends(fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/admin/sla-policy", httpx.Response(200, json={"version": 1, "source": "file", "document": {}}))
    fake.on("dispatch", "GET", "/admin/calendar", httpx.Response(200, json={"holidays": [], "workdays": [], "remove": []}))
    fake.on("intake", "GET", "/admin/category-rules", httpx.Response(200, json=RULES))


def rules_textarea(html: str) -> str:
    import html as html_lib

    start = html.index('action="/admin/category-rules"')
    start = html.index(">", html.index("<textarea", start)) + 1
    return html_lib.unescape(html[start:html.index("</textarea>", start)])


def test_admins_see_the_keyword_rules_and_a_draft_of_the_next_version(portal: TestClient, fake: FakeBackends) -> None:
    admin_page_backends(fake)
    log_in(portal, "admin")
    page = portal.get("/admin").text
    assert "分类关键词（分类建议）" in page and "第 2 版" in page
    assert "井盖（5）、路面（3）" in page  # heaviest first, per category by name
    assert "未命中时归入“其他”" in page
    draft = json.loads(rules_textarea(page))
    assert draft["version"] == 3 and draft["categories"]["road"] == {"路面": 3, "井盖": 5}


def test_publishing_rules_puts_the_document_to_intake(portal: TestClient, fake: FakeBackends) -> None:
    admin_page_backends(fake)
    fake.on("intake", "PUT", "/admin/category-rules", httpx.Response(200, json={**RULES, "version": 3}))
    log_in(portal, "admin")
    document = {"version": 3, "fallback": "other", "categories": {"road": {"井盖": 5}}}
    response = portal.post("/admin/category-rules", data={"rules": json.dumps(document)}, follow_redirects=False)
    assert response.headers["location"] == "/admin?ok=rules"
    assert json.loads(fake.sent("intake", "PUT", "/admin/category-rules")[0].content) == document


def test_refused_rules_are_shown_next_to_the_form_with_the_text_kept(portal: TestClient, fake: FakeBackends) -> None:
    admin_page_backends(fake)
    fake.on("intake", "PUT", "/admin/category-rules", httpx.Response(422, json={"detail": "fallback: unknown category 'x'"}))
    log_in(portal, "admin")
    typed = json.dumps({"version": 3, "fallback": "x", "categories": {"road": {"井盖": 5}}})
    page = portal.post("/admin/category-rules", data={"rules": typed})
    assert page.status_code == 422 and "fallback: unknown category" in page.text
    assert rules_textarea(page.text) == typed
    broken = portal.post("/admin/category-rules", data={"rules": "{not json"})
    assert broken.status_code == 422 and "JSON 格式有误" in broken.text
    assert len(fake.sent("intake", "PUT", "/admin/category-rules")) == 1  # the broken one was never sent


def test_only_admins_publish_rules(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    assert portal.post("/admin/category-rules", data={"rules": "{}"}, follow_redirects=False).status_code == 403
    assert fake.sent("intake", "PUT", "/admin/category-rules") == []


def test_the_admin_page_works_when_intake_offers_no_rules(portal: TestClient, fake: FakeBackends) -> None:
    admin_page_backends(fake)
    fake.on("intake", "GET", "/admin/category-rules", httpx.Response(404, json={"detail": "Not Found"}))
    log_in(portal, "admin")
    page = portal.get("/admin")
    assert page.status_code == 200 and "受理服务暂未提供分类关键词" in page.text
