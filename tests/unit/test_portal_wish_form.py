"""The filing forms speak of what is filed: 反映问题 has 问题类别 / 详细描述, a 微心愿 has 心愿类别 / 心愿内容 and asks when it
should come true. The server renders the chosen kind's words (?kind=wish, or the form shown again after a refusal), so
no script is needed; static/kind_labels.js swaps them live from the words the form carries."""
from __future__ import annotations

import html
import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

# Shared fakes and fixtures (fake, settings, portal) of the portal page tests.
from test_portal_pages import FILE_FORM, FakeBackends, fake, log_in, portal, settings  # noqa: F401

from services.portal.labels import KIND_TEXT

WISH = {"category": "心愿类别", "description": "心愿内容", "title": "心愿标题"}
PROBLEM = {"category": "问题类别", "description": "详细描述", "title": "标题"}


def words_shown(page: str) -> dict[str, str]:
    """What each swappable label says on the rendered page."""
    return {key: html.unescape(text) for key, text in re.findall(r'<span data-kind-text="(\w+)">([^<]*)</span>', page)}


def placeholder(page: str, name: str) -> str:
    tag = re.search(rf'<(?:input|textarea) name="{name}"[^>]*>', page).group(0)
    return html.unescape(re.search(r'placeholder="([^"]*)"', tag).group(1))


def checked_kind(page: str) -> str:
    return re.search(r'<input type="radio" name="kind" value="(\w+)" checked>', page).group(1)


def test_the_file_form_speaks_of_a_problem_by_default(portal: TestClient) -> None:
    log_in(portal, "resident1")
    page = portal.get("/file").text
    assert checked_kind(page) == "problem"
    assert words_shown(page) == {**PROBLEM}
    assert placeholder(page, "description") == "发生了什么、持续多久、影响到谁"
    assert 'href="/file?kind=wish"' in page, "without a script, a link opens the wish form"
    assert '<script src="/static/kind_labels.js" defer></script>' in page


@pytest.mark.parametrize("path", ["/file?kind=wish", "/report?kind=wish"])
def test_a_preselected_wish_has_the_wish_words_without_a_script(portal: TestClient, path: str) -> None:
    if path.startswith("/file"):
        log_in(portal, "resident1")
    page = portal.get(path).text
    assert checked_kind(page) == "wish"
    assert words_shown(page) == WISH
    assert "希望何时实现" in placeholder(page, "description")
    assert placeholder(page, "title").startswith("一句话说说心愿")
    assert 'data-kind-text="category_auto">微心愿（不确定就选这个）</option>' in page
    assert "问题类别</span>" not in page


def test_the_form_carries_both_kinds_words_for_the_script(portal: TestClient) -> None:
    log_in(portal, "resident1")
    page = portal.get("/file").text
    carried = json.loads(html.unescape(re.search(r'data-kind-texts="([^"]*)"', page).group(1)))
    assert carried == KIND_TEXT
    assert carried["wish"]["category"] == "心愿类别" and carried["problem"]["category"] == "问题类别"


def test_an_unknown_kind_in_the_address_is_a_problem(portal: TestClient) -> None:
    log_in(portal, "resident1")
    page = portal.get("/file?kind=<script>").text
    assert checked_kind(page) == "problem" and words_shown(page) == PROBLEM


def test_a_refused_wish_comes_back_speaking_of_the_wish(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/tickets", httpx.Response(422, json={"detail": "title: 标题不能为空"}))
    log_in(portal, "resident1")
    wish = {**FILE_FORM, "kind": "wish", "category": "", "idempotency_key": "wish-key-1234",
            "title": "想请人帮忙换灯泡", "description": "独居，够不着，希望周末前"}
    answer = portal.post("/file", data=wish)
    assert answer.status_code == 422
    assert checked_kind(answer.text) == "wish" and words_shown(answer.text) == WISH
    (sent,) = fake.sent("intake", "POST", "/tickets")
    assert json.loads(sent.content)["category"] == "wish", "a wish without a category is filed as 微心愿"


def test_a_refused_guest_wish_comes_back_speaking_of_the_wish(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/public/tickets", httpx.Response(422, json={"detail": "contact_phone: 手机号格式不正确"}))
    wish = {"kind": "wish", "category": "", "title": "想学用智能手机", "description": "希望有志愿者教", "community_id": "",
            "address": "", "contact_phone": "123", "contact_name": "", "idempotency_key": "guest-wish-123"}
    answer = portal.post("/report", data=wish)
    assert answer.status_code == 422
    assert checked_kind(answer.text) == "wish" and words_shown(answer.text) == WISH


def test_the_hotline_form_names_a_wish_when_the_call_is_one(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/hotline/tickets", httpx.Response(422, json={"detail": "category: 未知的类别 'x'"}))
    log_in(portal, "operator1")
    assert words_shown(portal.get("/hotline").text) == {"hotline_description": "诉求描述", "category": "问题类别"}
    call = {"caller_phone": "13800138000", "description": "想请志愿者陪老人去医院", "kind": "wish",
            "idempotency_key": "hotline-wish-1"}
    answer = portal.post("/hotline", data=call)
    assert answer.status_code == 422
    assert words_shown(answer.text) == {"hotline_description": "心愿内容", "category": "心愿类别"}
    assert "希望何时实现" in placeholder(answer.text, "description")
