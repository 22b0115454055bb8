"""分类建议 in a real browser against the whole system: the H5 form suggests a category as the resident types and
says why; a filing left without a category gets the suggested one, which the ticket page explains; the community
console shows the reason and changes the category (调整分类), and the resident's ticket follows."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_portal_flow import browser, people, reload_until, screenshots  # noqa: F401 - fixtures


def test_the_form_suggests_a_category_while_typing_and_the_resident_takes_it(people, screenshots: Path) -> None:
    page = people("resident1").page
    page.goto("/file")
    select = page.locator("select[name=category]")
    expect(select).to_have_value("")
    page.get_by_label("标题").fill("楼上装修噪音")
    page.get_by_label("详细描述").fill("每天晚上十点以后还在施工，吵得睡不着")
    box = page.locator("#category-suggestion")
    expect(box).to_contain_text("推荐类别：噪音扰民")
    expect(box).to_contain_text("匹配关键词：")
    expect(box).to_contain_text("噪音")
    page.screenshot(path=str(screenshots / "category-suggestion.png"), full_page=True)
    box.get_by_role("button", name="采用").click()
    expect(select).to_have_value("noise")


def test_a_blank_category_is_suggested_explained_and_changed_by_the_community(people, screenshots: Path) -> None:
    title = f"井盖丢了 {uuid.uuid4().hex[:6]}"
    resident = people("resident1")
    page = resident.page
    page.goto("/file")
    page.get_by_label("标题").fill(title)
    page.get_by_label("详细描述").fill("5号楼门前人行道井盖不见了，路面塌陷")
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    ticket_id = re.search(r"/tickets/([^/?]+)", page.url).group(1)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("道路破损")
    expect(facts).to_contain_text("系统根据描述归类：匹配关键词：")

    staff = people("xinran_staff", mobile=False)
    card = reload_until(staff.page, f"/console?selected={ticket_id}", lambda p: p.locator(f"#ticket-{ticket_id}"), "the ticket in the console")
    expect(card).to_contain_text("分类建议：道路破损（匹配关键词：")
    expect(card.locator("select[name=department_id]")).to_have_value("urban")  # the proposed department
    card.get_by_text("调整分类", exact=True).first.click()
    card.locator(f'form[action="/console/{ticket_id}/category"] select[name=category]').select_option("property")
    card.locator(f'form[action="/console/{ticket_id}/category"] input[name=note]').fill("属物业维修范围")
    card.locator(f'form[action="/console/{ticket_id}/category"]').get_by_role("button", name="调整分类").click()
    expect(staff.page.locator(".notice").first).to_contain_text("已调整问题类别")
    card = staff.page.locator(f"#ticket-{ticket_id}")
    expect(card).to_contain_text("物业管理")
    expect(card.locator("select[name=department_id]")).to_have_value("housing")  # the proposed department followed
    staff.page.screenshot(path=str(screenshots / "console-recategorized.png"), full_page=True)

    reload_until(page, f"/tickets/{ticket_id}", lambda p: p.locator("dl.facts", has_text="物业管理"), "the new category")
    expect(page.locator(".timeline")).to_contain_text("属物业维修范围")
    assert not resident.errors and not staff.errors, resident.errors + staff.errors
