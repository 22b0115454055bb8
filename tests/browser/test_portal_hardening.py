"""Portal hardening in Chromium (issue 13 item 5): a `<script>` typed into a filing is shown as text on the resident's
ticket page and on the community's console (no dialog opens, nothing runs, no Content-Security-Policy complaint), and a
form posted without the page's CSRF token — as another site would — is refused with 页面已过期."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser.test_portal_flow import browser, people, reload_until  # noqa: F401 - fixtures

EVIL = '<script>window.__pwned = 1; alert("x")</script><img src=x onerror="window.__pwned = 2">'


def test_a_script_in_a_filing_renders_as_text_everywhere(people) -> None:  # noqa: F811
    title = f"路灯坏了 {uuid.uuid4().hex[:6]} {EVIL}"
    resident = people("resident1")
    page = resident.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_role("link", name="我要吹哨").first.click()
    page.locator("select[name=category]").select_option("road")
    page.get_by_label("标题").fill(title)
    page.get_by_label("详细描述").fill(f"晚上很黑。{EVIL}")
    page.get_by_label("地址").fill("馨然嘉园3号楼南侧")
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    ticket_id = re.search(r"/tickets/([^/?]+)", page.url).group(1)
    expect(page.get_by_text(EVIL).first).to_be_visible()  # the markup itself, as characters
    assert page.evaluate("window.__pwned") is None and dialogs == []
    assert page.locator("script", has_text="__pwned").count() == 0

    community = people("xinran_staff", mobile=False)
    card = reload_until(community.page, f"/console?selected={ticket_id}", lambda p: p.locator(f"#ticket-{ticket_id}"), "the ticket in the console")
    expect(card.get_by_text(EVIL).first).to_be_visible()
    assert community.page.evaluate("window.__pwned") is None
    assert resident.errors == [] and community.errors == [], resident.errors + community.errors


def test_a_form_posted_without_the_pages_token_is_refused(people) -> None:  # noqa: F811
    resident = people("resident1")
    answer = resident.context.request.post("/logout", form={}, max_redirects=0)
    assert answer.status == 403 and "页面已过期" in answer.text()
    page = resident.page
    page.goto("/mine")
    expect(page).to_have_url(re.compile(r"/mine$"))  # still signed in: the forged logout did nothing
    csp = page.request.get("/mine").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
