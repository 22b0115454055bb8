"""The portal in a real browser (Playwright + system Chromium) against the whole system started by `stack`.

One ticket goes through the pages people use: 吹哨 → 社区转哨 → 部门签收、联系居民、办结 → 居民评价 → 已关闭.
Events cross Kafka, so each page is reloaded until the expected row shows up (with a timeout).
The ticket is filed in a category (road) whose deadlines are 30 days away in the test stack's SLA policy
(config/sla_policy.test.yaml), so however slowly the pages go, no deadline or rating window passes.
Screenshots go to pytest's tmp dir, or to $PORTAL_SCREENSHOTS when set.
"""
from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

PASSWORD = "whistle123"
# Bounds, generous for a loaded 2-core machine (a passing test never waits them out; none asserts a speed):
CONVERGE_TIMEOUT = 120.0  # seconds for an event to reach another service's view
PAGE_TIMEOUT_MS = 30_000  # one navigation, click or expect() on a page

expect.set_options(timeout=PAGE_TIMEOUT_MS)  # expect()'s own default is 5 s


@pytest.fixture(scope="module")
def browser(chromium_executable: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_executable,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    chosen = os.environ.get("PORTAL_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Person:
    """One logged-in browser context (its own cookies) and the console errors its pages logged."""

    def __init__(self, browser: Browser, base_url: str, username: str, *, mobile: bool = True) -> None:
        viewport = {"width": 414, "height": 896} if mobile else {"width": 1280, "height": 900}
        self.context: BrowserContext = browser.new_context(base_url=base_url, viewport=viewport, locale="zh-CN")
        self.context.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda msg: self.errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.log_in(username)

    def log_in(self, username: str) -> None:
        page = self.page
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).not_to_have_url(re.compile(r"/login"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser: Browser, stack) -> Iterator[Callable[..., Person]]:
    opened: list[Person] = []

    def open_as(username: str, **kwargs) -> Person:
        person = Person(browser, stack.urls["portal"], username, **kwargs)
        opened.append(person)
        return person

    yield open_as
    for person in opened:
        person.close()


def reload_until(page: Page, path: str, find: Callable[[Page], Locator], what: str, timeout: float = CONVERGE_TIMEOUT) -> Locator:
    """Open `path` again and again until `find(page)` matches something visible (views converge over Kafka)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(path)
        found = find(page)
        if found.count() > 0 and found.first.is_visible():
            return found.first
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} on {path}")
        time.sleep(0.5)


def test_a_ticket_goes_from_whistle_to_closed_through_the_pages(people, screenshots: Path) -> None:
    title = f"小区门口路面塌陷 {uuid.uuid4().hex[:6]}"

    # 居民吹哨: file through the form, land on the ticket page, see it in 我的诉求.
    resident = people("resident1")
    page = resident.page
    expect(page).to_have_url(re.compile(r"/mine$"))
    page.get_by_role("link", name="我要吹哨").first.click()
    page.locator("select[name=category]").select_option("road")
    page.get_by_label("标题").fill(title)
    page.get_by_label("详细描述").fill("3号楼南侧人行道塌陷约半米，老人经过很危险。")
    page.get_by_label("地址").fill("馨然嘉园3号楼南侧")
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    expect(page.get_by_text("吹哨成功")).to_be_visible()
    ticket_id = re.search(r"/tickets/([^/?]+)", page.url).group(1)
    page.get_by_role("link", name="我的诉求").first.click()
    expect(page.locator(".ticket-row", has_text=title)).to_be_visible()

    # 社区转哨: the ticket reaches the community console with the proposed department preselected.
    community = people("xinran_staff")
    card = reload_until(community.page, f"/console?selected={ticket_id}", lambda p: p.locator(f"#ticket-{ticket_id}"), "the ticket in the console")
    expect(card.locator("select[name=department_id]")).to_have_value("urban")
    card.locator('form[action$="/dispatch"] button').click()
    expect(community.page.get_by_text("已派单到承办部门")).to_be_visible()

    # 部门办哨: urban accepts, records contacting the resident, resolves.
    department = people("urban_staff")
    card = reload_until(
        department.page, "/worklist",
        lambda p: p.locator(f"#ticket-{ticket_id}").filter(has=p.get_by_role("button", name="签收")),
        "the dispatched ticket in the worklist",
    )
    card.get_by_role("button", name="签收").click()
    expect(department.page.get_by_text("已签收")).to_be_visible()
    card = department.page.locator(f"#ticket-{ticket_id}")
    card.locator('form[action$="/contact"] input[name=note]').fill("已电话联系，约明早上门查看")
    card.get_by_role("button", name="联系居民").click()
    expect(department.page.get_by_text("已记录联系居民")).to_be_visible()
    card = department.page.locator(f"#ticket-{ticket_id}")
    expect(card.get_by_text("已联系居民")).to_be_visible()
    department.page.screenshot(path=str(screenshots / "worklist.png"), full_page=True)
    card.locator('form[action$="/resolve"] textarea').fill("已组织施工队修复路面并设置警示标志")
    card.get_by_role("button", name="办结").click()
    expect(department.page.get_by_text("已办结，等待居民评价")).to_be_visible()

    # 居民评价: 满意, then the ticket is 已关闭.
    reload_until(page, f"/tickets/{ticket_id}", lambda p: p.locator('form[action$="/rating"]'), "the rating form")
    page.locator("fieldset", has_text="满意度").get_by_text("满意", exact=True).click()
    page.locator("fieldset", has_text="问题是否解决").get_by_text("已解决", exact=True).click()  # nothing is preselected
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您的评价")).to_be_visible()
    reload_until(
        page, "/mine", lambda p: p.locator(".ticket-row", has_text=title).filter(has_text="已关闭"), "the closed ticket in 我的诉求"
    )
    page.goto(f"/tickets/{ticket_id}")
    expect(page.locator(".timeline")).to_contain_text("已联系您")
    expect(page.locator(".timeline")).to_contain_text("居民评价")
    page.screenshot(path=str(screenshots / "ticket.png"), full_page=True)

    for person in (resident, community, department):
        assert person.errors == [], person.errors


@pytest.mark.parametrize(
    ("username", "paths"),
    [("admin", ("/admin", "/supervision", "/dashboard", "/console")), ("supervisor1", ("/supervision", "/console"))],
)
def test_the_deadline_pages_render_without_console_errors(people, screenshots: Path, username: str, paths: tuple[str, ...]) -> None:
    person = people(username, mobile=False)
    for path in paths:
        response = person.page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response.status if response else None}"
        expect(person.page.locator("main h1").first).to_be_visible()
        person.page.screenshot(path=str(screenshots / f"{username}{path.replace('/', '-')}.png"), full_page=True)
    assert person.errors == [], person.errors
    if username == "admin":
        person.page.goto("/admin")
        draft = person.page.locator("textarea[name=document]").input_value()
        assert '"version"' in draft
