"""The mobile H5 我要吹哨 form at a phone's size (390x844, touch) against the whole system: a resident adds a photo and
taps the community's grid map to pin the problem, sees the grid's name, files; the ticket page shows the grid and the
position, the community console and the grid worker's 我的网格 show it in that grid, and a grid worker of another
community neither lists nor opens it. With the device's position granted, 使用当前位置 pins it and the ticket goes to
that grid's community; a position outside every grid is filed for the street's triage (街道分拨)."""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_portal_flow import (  # noqa: F401 - fixtures
    PAGE_TIMEOUT_MS,
    PASSWORD,
    browser,
    people,
    reload_until,
    screenshots,
)
from tests.photo_samples import jpeg_with_exif, png

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
IN_XINRAN_01 = (39.74064, 116.14039)  # well inside 馨然嘉园第一网格 (config/grids.geojson)
IN_XINRAN_03 = (39.7616, 116.1404)  # 馨然嘉园第三网格
IN_JIAMENKOU_01 = (39.741, 116.17968)  # well inside 佳门口第一网格
FAR_AWAY = (39.9087, 116.3975)  # 天安门: outside every grid of 长阳镇


class Phone:
    """A resident's phone: its own browser context (touch, phone viewport, optional GPS), logged in."""

    def __init__(self, browser: Browser, base_url: str, username: str, position: tuple[float, float] | None) -> None:
        extra = {"geolocation": {"latitude": position[0], "longitude": position[1]}, "permissions": ["geolocation"]} if position else {}
        self.context = browser.new_context(base_url=base_url, locale="zh-CN", **PHONE, **extra)
        self.context.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.goto("/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page).not_to_have_url(re.compile(r"/login"))


@pytest.fixture
def phone(browser: Browser, stack) -> Iterator[Callable[..., Phone]]:
    opened: list[Phone] = []

    def open_phone(username: str, position: tuple[float, float] | None = None) -> Phone:
        opened.append(Phone(browser, stack.urls["portal"], username, position))
        return opened[-1]

    yield open_phone
    for one in opened:
        one.context.close()


def fill_the_form(page: Page, title: str) -> None:
    page.goto("/file")
    page.locator("select[name=category]").select_option("road")
    page.get_by_label("标题").fill(title)
    page.get_by_label("详细描述").fill("路灯杆被撞歪，随时可能倒下，请尽快处理。")


def grid_polygons(page: Page, count: int) -> None:
    expect(page.locator(".map-canvas")).to_be_visible()
    expect(page.locator(".map-canvas path")).to_have_count(count)


def tap_on_map(page: Page, latitude: float, longitude: float) -> None:
    """Tap the screen where the map draws this point (the map's own projection says where that is)."""
    point = page.locator("[data-map-pin]").evaluate(
        "(box, ll) => { const p = box.whistleMap.latLngToContainerPoint(ll); return {x: p.x, y: p.y}; }",
        [latitude, longitude],
    )
    page.locator(".map-canvas").tap(position={"x": point["x"], "y": point["y"]})


def position_of(page: Page) -> tuple[float, float]:
    return float(page.locator("input[name=latitude]").input_value()), float(page.locator("input[name=longitude]").input_value())


def test_a_resident_pins_the_problem_on_the_grid_map_with_a_photo_and_it_lands_in_that_grid(
    phone, people, screenshots: Path
) -> None:
    title = f"路灯杆歪斜 {uuid.uuid4().hex[:6]}"
    resident = phone("resident1")
    page = resident.page
    fill_the_form(page, title)
    page.locator(".photo-add input[type=file]").set_input_files(
        [{"name": "lamp.png", "mimeType": "image/png", "buffer": png((800, 600), "RGB")}]
    )
    expect(page.locator(".photo-previews li[data-ref]")).to_have_count(1)

    grid_polygons(page, 3)  # 馨然嘉园's three grids
    expect(page.locator("input[name=latitude]")).to_have_value("")
    tap_on_map(page, *IN_XINRAN_01)
    status = page.locator(".map-status")
    expect(status).to_contain_text("馨然嘉园第一网格")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    latitude, longitude = position_of(page)
    assert abs(latitude - IN_XINRAN_01[0]) < 0.002 and abs(longitude - IN_XINRAN_01[1]) < 0.002, (latitude, longitude)
    expect(page.locator("select[name=community_id]")).to_have_value("xinran")
    page.screenshot(path=str(screenshots / "map-pin.png"), full_page=True)

    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    ticket_id = re.search(r"/tickets/([^/?]+)", page.url).group(1)
    expect(page.locator(".ticket-grid")).to_have_text(re.compile("馨然嘉园第一网格"))
    expect(page.locator(".ticket-position")).to_have_text(f"{latitude:.5f}, {longitude:.5f}")
    expect(page.locator(".photo-strip img")).to_have_count(1)
    page.screenshot(path=str(screenshots / "map-pin-ticket.png"), full_page=True)

    community = people("xinran_staff")
    card = reload_until(community.page, f"/console?selected={ticket_id}", lambda p: p.locator(f"#ticket-{ticket_id}"), "the ticket in the console")
    expect(card.locator(".grid-name")).to_have_text(re.compile("馨然嘉园第一网格"))

    grid_worker = phone("grid1")  # patrols xinran-01 and xinran-02
    row = reload_until(grid_worker.page, "/grid", lambda p: p.locator(f"#ticket-{ticket_id}"), "the ticket in 我的网格")
    expect(row.locator(".grid-name")).to_have_text(re.compile("馨然嘉园第一网格"))
    expect(row.locator(".grid-thumb")).to_be_visible()
    assert row.locator(".grid-thumb").evaluate("img => img.complete && img.naturalWidth > 0")
    grid_worker.page.screenshot(path=str(screenshots / "my-grid.png"), full_page=True)
    row.click()
    expect(grid_worker.page).to_have_url(re.compile(f"/tickets/{ticket_id}$"))
    expect(grid_worker.page.locator("h1")).to_have_text(title)

    other = phone("grid2")  # 佳门口's grid worker
    other.page.goto("/grid")
    expect(other.page.locator("main h1")).to_contain_text("我的网格")
    expect(other.page.locator(f"#ticket-{ticket_id}")).to_have_count(0)
    assert other.page.goto(f"/tickets/{ticket_id}").status == 404
    assert other.page.request.get(page.locator(".photo-strip a").first.get_attribute("href") or "").status == 404

    assert all("404" in e for e in other.errors), other.errors  # only the refused ticket page and photo
    for person in (resident, grid_worker, community):
        assert person.errors == [], person.errors


def test_use_my_location_pins_the_devices_position_and_files_it_in_that_grids_community(phone, screenshots: Path) -> None:
    title = f"井盖松动 {uuid.uuid4().hex[:6]}"
    resident = phone("resident1", position=IN_JIAMENKOU_01)  # lives in 馨然嘉园, stands in 佳门口
    page = resident.page
    fill_the_form(page, title)
    grid_polygons(page, 3)
    page.get_by_role("button", name="使用当前位置").tap()
    expect(page.locator(".map-status")).to_contain_text("佳门口第一网格")
    expect(page.locator("input[name=latitude]")).to_have_value(f"{IN_JIAMENKOU_01[0]:.6f}")
    expect(page.locator("input[name=longitude]")).to_have_value(f"{IN_JIAMENKOU_01[1]:.6f}")
    expect(page.locator("select[name=community_id]")).to_have_value("jiamenkou")
    grid_polygons(page, 2)  # the map now shows 佳门口's grids
    page.screenshot(path=str(screenshots / "map-gps.png"), full_page=True)

    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    expect(page.locator(".facts")).to_contain_text("佳门口社区")
    expect(page.locator(".ticket-grid")).to_have_text(re.compile("佳门口第一网格"))
    ticket_id = re.search(r"/tickets/([^/?]+)", page.url).group(1)

    grid_worker = phone("grid2")
    reload_until(grid_worker.page, "/grid", lambda p: p.locator(f"#ticket-{ticket_id}"), "the ticket in 佳门口's 我的网格")
    assert resident.errors == [] and grid_worker.errors == [], resident.errors + grid_worker.errors


def test_a_position_outside_every_grid_is_filed_for_the_street_with_a_note(phone) -> None:
    resident = phone("resident1", position=FAR_AWAY)
    page = resident.page
    fill_the_form(page, f"路边垃圾 {uuid.uuid4().hex[:6]}")
    grid_polygons(page, 3)
    page.get_by_role("button", name="使用当前位置").tap()
    expect(page.locator(".map-status")).to_contain_text("不在本街道任何网格内")
    expect(page.locator("select[name=community_id]")).to_have_value("")
    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    expect(page.locator(".facts")).to_contain_text("街道分拨")
    assert resident.errors == [], resident.errors


def test_the_photos_position_and_the_map_pin_share_one_location(phone) -> None:
    resident = phone("resident1")
    page = resident.page
    fill_the_form(page, f"积水 {uuid.uuid4().hex[:6]}")
    grid_polygons(page, 3)
    page.locator(".photo-add input[type=file]").set_input_files(
        [{"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif(*IN_XINRAN_03)}]
    )
    offer = page.get_by_label("使用照片的拍摄位置作为问题位置")
    expect(offer).to_be_visible()
    offer.check()  # the pin goes where the photo was taken
    expect(page.locator(".map-status")).to_contain_text("馨然嘉园第三网格")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)

    tap_on_map(page, *IN_XINRAN_01)  # moved by hand: the photo's position is no longer the one sent
    expect(page.locator(".map-status")).to_contain_text("馨然嘉园第一网格")
    expect(offer).not_to_be_checked()
    assert position_of(page)[0] < IN_XINRAN_03[0] - 0.01  # south of the photo's position, in the first grid

    page.get_by_role("button", name="清除标注").tap()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(0)
    expect(page.locator("input[name=latitude]")).to_have_value("")
    expect(page.locator("select[name=community_id]")).to_have_value("xinran")
    assert resident.errors == [], resident.errors
