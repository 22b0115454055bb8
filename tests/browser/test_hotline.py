"""热线受理 in a real browser against the whole system, by keyboard only: the operator types the caller's number (the
caller's earlier ticket appears beside the form once it is whole), the description, part of a category's name, and
Enter files; the ticket number is shown big, Alt+N starts the next call with the cursor back on 来电号码; the
ticket reaches the community console of the address's compound."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_portal_flow import browser, people, reload_until, screenshots  # noqa: F401 - fixtures


def type_number(page: Page, number: str) -> None:
    expect(page.locator("#caller-phone")).to_be_focused()
    page.keyboard.type(number)
    expect(page.locator("#caller-history .history-status")).to_contain_text(f"{number[:3]}****{number[-4:]}")


def file_by_keyboard(page: Page, description: str, category_search: str, category_name: str) -> str:
    """The rest of the call, keys only: Tab to 称呼, Alt+D description, Alt+C category search, Enter. Returns the
    ticket number shown."""
    page.keyboard.press("Tab")  # 来电人称呼
    page.keyboard.type("何先生")
    page.keyboard.press("Alt+D")
    expect(page.locator("#description")).to_be_focused()
    page.keyboard.type(description)
    page.locator("input[name=address]").fill("馨然嘉园5号楼2单元")  # where: the compound places it in 馨然嘉园社区
    page.keyboard.press("Alt+C")
    expect(page.locator("#category-search")).to_be_focused()
    page.keyboard.type(category_search)
    expect(page.locator("#category-chosen")).to_have_text(f"已选类别：{category_name}")
    page.keyboard.press("Enter")
    number_shown = page.locator(".filed-number")
    expect(number_shown).to_be_visible()
    return number_shown.inner_text().strip()


def test_an_operator_takes_two_calls_from_one_caller_by_keyboard(people, screenshots: Path) -> None:
    caller = "139" + str(uuid.uuid4().int)[:8]
    tag = uuid.uuid4().hex[:6]
    operator = people("operator1", mobile=False)
    page = operator.page
    expect(page).to_have_url(re.compile(r"/hotline$"))
    expect(page.get_by_role("button", name="提交受理 Alt+S")).to_be_visible()

    # First call: a part of the number shows nothing yet; the whole number, nothing on record.
    expect(page.locator("#caller-phone")).to_be_focused()
    page.keyboard.type(caller[:7])
    expect(page.locator("#caller-history .history-status")).to_contain_text("输入完整号码后显示")
    page.keyboard.type(caller[7:])
    expect(page.locator("#caller-history .history-status")).to_contain_text("暂无历史工单")
    first = file_by_keyboard(page, f"5号楼2单元楼道灯坏了一周 {tag}", "物业", "物业管理")
    assert re.fullmatch(r"T\d{8}-[0-9A-F]{8}", first), first
    expect(page.get_by_role("button", name=re.compile("下一个来电"))).to_be_focused()
    page.screenshot(path=str(screenshots / "hotline-filed.png"), full_page=True)

    # Next call: Alt+N, a fresh form with the cursor on the number; the caller's first ticket shows once it is whole.
    page.keyboard.press("Alt+N")
    expect(page.locator("#caller-phone")).to_have_value("")
    type_number(page, caller)
    history = page.locator("#caller-history .history-item")
    expect(history).to_have_count(1)
    expect(history.first).to_have_attribute("data-ticket-id", first)
    expect(history.first).to_contain_text("物业管理")
    expect(history.first).to_contain_text("馨然嘉园社区")
    page.screenshot(path=str(screenshots / "hotline-history.png"), full_page=True)
    second = file_by_keyboard(page, f"小区门口路面塌陷一个大坑 {tag}", "道路", "道路破损")
    assert second != first

    # The operator's filings are the community's to handle.
    community = people("xinran_staff")
    card = reload_until(community.page, f"/console?selected={second}", lambda p: p.locator(f"#ticket-{second}"), "the hotline ticket in the console")
    expect(card).to_contain_text("路面塌陷")
    assert not operator.errors and not community.errors, operator.errors + community.errors
