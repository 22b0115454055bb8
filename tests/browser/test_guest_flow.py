"""不登录也能吹哨 in a real browser (a phone-sized window, no login) against the whole system: from the login page to
the guest form, the ticket number shown big, 查询办理进度 prefilled with it, a wrong try told in Chinese, the right
digits show the progress without the number or name; the ticket reaches the community console."""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_portal_flow import PAGE_TIMEOUT_MS, browser, people, reload_until, screenshots  # noqa: F401 - fixtures


@pytest.fixture
def guest(browser: Browser, stack) -> Iterator[Page]:  # noqa: F811 - the fixture above
    context = browser.new_context(base_url=stack.urls["portal"], viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def test_a_guest_files_writes_down_the_number_and_follows_it(guest: Page, people, screenshots: Path) -> None:  # noqa: F811
    page = guest
    phone = "159" + str(uuid.uuid4().int)[:8]
    title = f"北门路灯不亮 {uuid.uuid4().hex[:6]}"

    page.goto("/login")
    page.get_by_role("link", name="不登录也能吹哨").click()
    expect(page).to_have_url(re.compile(r"/report$"))
    expect(page.get_by_text("匿名提交的工单不保存手机号，无法凭手机号查询进度")).to_be_visible()
    page.locator("select[name=category]").select_option("road")
    page.get_by_label("标题").fill(title)
    page.get_by_label("详细描述").fill("馨然嘉园北门路灯坏了一周，晚上很黑。")
    page.locator("select[name=community_id]").select_option("xinran")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("称呼").fill("周女士")
    page.get_by_role("button", name="提交").click()

    expect(page).to_have_url(re.compile(r"/report/filed\?ticket=T"))
    number = page.locator("#ticket-number").inner_text().strip()
    assert re.fullmatch(r"T\d{8}-[0-9A-F]{8}", number)
    expect(page.get_by_text("请记下编号，凭编号和手机号后四位查询进度")).to_be_visible()
    expect(page.get_by_role("link", name="注册账号").first).to_be_visible()
    page.screenshot(path=str(screenshots / "guest-filed.png"), full_page=True)

    page.get_by_role("link", name="查询办理进度").click()
    expect(page.get_by_label("工单编号")).to_have_value(number)
    wrong = "0000" if phone[-4:] != "0000" else "1111"
    page.get_by_label("手机号后四位").fill(wrong)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("未查到该工单，请核对工单编号和手机号后四位。")).to_be_visible()
    page.get_by_label("手机号后四位").fill(phone[-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_text("已吹哨，待社区转哨").first).to_be_visible()
    expect(page.get_by_text("馨然嘉园社区")).to_be_visible()
    body = page.content()
    assert phone not in body and "周女士" not in body and phone[-4:] not in page.url
    page.screenshot(path=str(screenshots / "guest-follow.png"), full_page=True)

    community = people("xinran_staff")
    reload_until(community.page, f"/console?selected={number}", lambda p: p.locator(f"#ticket-{number}"), "the guest's ticket in the console")
