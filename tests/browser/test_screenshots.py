"""Every demo role's pages at a phone's size (390x844, touch) and a desktop's (1440x900) against the whole system: each
page is saved as a screenshot (test artifacts: $PORTAL_SCREENSHOTS, else pytest's tmp dir), has no horizontal overflow
on the phone (document.documentElement.scrollWidth <= 390) and logs no console error. The pages are each role's
navigation (services/portal/views.py NAV_ROLES, so a new page is covered when it gets a tab) and the public ones."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from services.portal.views import HOME_BY_ROLE, NAV_ROLES
from tests.browser.test_portal_flow import PAGE_TIMEOUT_MS, PASSWORD, browser, screenshots  # noqa: F401 - fixtures

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
# One demo account per role (config/demo_users.yaml).
ACCOUNTS = {
    "resident": "resident1",
    "grid_worker": "grid1",
    "community_staff": "xinran_staff",
    "department_staff": "urban_staff",
    "operator": "operator1",
    "supervisor": "supervisor1",
    "leader": "leader1",
    "admin": "admin",
}
PUBLIC_PAGES = ("/login", "/login/sms", "/register", "/report", "/follow")


def pages_of(role: str) -> list[str]:
    """The role's home first, then every tab of its navigation."""
    home = HOME_BY_ROLE[role]
    return [home, *(path for path, roles in NAV_ROLES.items() if role in roles and path != home)]


class Visit:
    """One browser context at one size; remembers console errors and what each page got wrong."""

    def __init__(self, browser: Browser, base_url: str, size: str) -> None:
        self.size = size
        self.context: BrowserContext = browser.new_context(base_url=base_url, locale="zh-CN", **SIZES[size])
        self.context.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda msg: self.errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.problems: list[str] = []

    def log_in(self, username: str) -> None:
        self.page.goto("/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.locator("header .who")).to_be_visible()

    def look_at(self, path: str, folder: Path, name: str) -> None:
        before = len(self.errors)
        response = self.page.goto(path)
        status = response.status if response else None
        if status != 200:
            self.problems.append(f"{self.size} {path}: HTTP {status}")
        expect(self.page.locator("main").first).to_be_visible()
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        if self.size == "phone":
            width = self.page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                self.problems.append(f"{self.size} {path}: {width}px wide, wider than the phone's 390px")
            brand = self.page.locator("header .brand")
            if brand.count() and brand.evaluate("e => e.getBoundingClientRect().height") > 40:
                self.problems.append(f"{self.size} {path}: the brand 居民吹哨 wraps onto a second line")
        self.problems.extend(f"{self.size} {path}: {e}" for e in self.errors[before:])

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visits(browser: Browser, stack) -> Iterator[dict[str, Visit]]:  # noqa: F811
    opened = {size: Visit(browser, stack.urls["portal"], size) for size in SIZES}
    yield opened
    for visit in opened.values():
        visit.close()


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_each_role_sees_its_pages_without_overflow_or_console_errors(
    visits: dict[str, Visit], screenshots: Path, role: str  # noqa: F811
) -> None:
    username = ACCOUNTS[role]
    paths = pages_of(role)
    for size, visit in visits.items():
        visit.log_in(username)
        for path in paths:
            visit.look_at(path, screenshots, f"{size}-{role}{path.replace('/', '-')}")
    problems = [p for visit in visits.values() for p in visit.problems]
    assert problems == [], "\n".join(problems)
    assert len(list(screenshots.glob(f"*-{role}-*.png"))) == 2 * len(paths)


def test_the_public_pages_fit_a_phone_without_console_errors(visits: dict[str, Visit], screenshots: Path) -> None:  # noqa: F811
    for size, visit in visits.items():
        for path in PUBLIC_PAGES:
            visit.look_at(path, screenshots, f"{size}-public{path.replace('/', '-')}")
    problems = [p for visit in visits.values() for p in visit.problems]
    assert problems == [], "\n".join(problems)


def test_choosing_a_wish_turns_the_form_to_wishes_and_back(visits: dict[str, Visit], screenshots: Path) -> None:  # noqa: F811
    """不登录吹哨 on a phone: 微心愿 swaps the labels and placeholders at once (static/kind_labels.js)."""
    page = visits["phone"].page
    page.goto("/report")
    description = page.locator("textarea[name=description]")
    expect(page.get_by_text("问题类别", exact=True)).to_be_visible()
    page.locator("fieldset.segmented").get_by_text("微心愿", exact=True).click()
    expect(page.get_by_text("心愿类别", exact=True)).to_be_visible()
    expect(page.get_by_text("心愿内容", exact=True)).to_be_visible()
    expect(description).to_have_attribute("placeholder", re.compile("希望何时实现"))
    expect(page.get_by_text("问题类别", exact=True)).to_have_count(0)
    page.screenshot(path=str(screenshots / "phone-public-report-wish.png"), full_page=True)
    page.locator("fieldset.segmented").get_by_text("反映问题", exact=True).click()
    expect(page.get_by_text("问题类别", exact=True)).to_be_visible()
    expect(description).to_have_attribute("placeholder", "发生了什么、持续多久、影响到谁")
    assert visits["phone"].errors == []
