"""The 我要吹哨 photo picker in a real browser against the whole system: a phone photo with GPS is picked, previewed
and uploaded at once, its position is offered and taken only when ticked, and the filed ticket shows the photo as a
thumbnail that opens full size, to the resident and in the community console."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_portal_flow import browser, people, reload_until, screenshots  # noqa: F401 - fixtures
from tests.photo_samples import jpeg_with_exif


def loaded(image) -> bool:  # noqa: ANN001 - a Locator
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_a_resident_files_with_a_photo_and_its_position_and_the_console_sees_the_thumbnail(people, screenshots: Path) -> None:
    title = f"井盖缺失 {uuid.uuid4().hex[:6]}"
    resident = people("resident1")
    page = resident.page
    page.goto("/file")
    page.locator("select[name=category]").select_option("road")
    page.get_by_label("标题").fill(title)
    page.get_by_label("详细描述").fill("3号楼东侧雨水井盖缺失，晚上很危险。")

    page.locator(".photo-add input[type=file]").set_input_files(
        [{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif(39.7511, 116.1402)}]
    )
    tile = page.locator(".photo-previews li[data-ref]")
    expect(tile).to_have_count(1)
    ref = tile.get_attribute("data-ref")
    assert re.fullmatch(r"/attachments/[0-9a-f]{32}\.jpg", ref)
    expect(tile.locator("img")).to_have_attribute("src", ref[:-4] + "/thumbnail.jpg")
    assert loaded(tile.locator("img"))
    offer = page.locator(".photo-location")
    expect(offer).to_be_visible()
    expect(page.locator("input[name=latitude]")).to_have_value("")  # nothing sent until the resident agrees
    page.get_by_label("使用照片的拍摄位置作为问题位置").check()
    expect(page.locator("input[name=latitude]")).to_have_value(re.compile(r"^39\.751"))
    page.screenshot(path=str(screenshots / "photo-picker.png"), full_page=True)

    page.get_by_role("button", name="吹哨", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/[^/?]+\?ok=filed$"))
    ticket_id = re.search(r"/tickets/([^/?]+)", page.url).group(1)
    thumb = page.locator(".photo-strip img").first
    expect(thumb).to_be_visible()
    assert loaded(thumb)
    expect(page.locator(".photo-strip a").first).to_have_attribute("href", ref)
    full = page.request.get(ref)
    assert full.status == 200 and full.headers["content-type"] == "image/jpeg" and b"AcmePhone" not in full.body()

    community = people("xinran_staff")
    card = reload_until(community.page, f"/console?selected={ticket_id}", lambda p: p.locator(f"#ticket-{ticket_id}"), "the ticket in the console")
    image = card.locator(".photo-strip img").first
    expect(image).to_be_visible()
    assert loaded(image)

    for other in ("resident2", "shiliuqiao_staff"):  # another resident, another community: intake says 404
        assert people(other).page.request.get(ref).status == 404
    assert not resident.errors and not community.errors, resident.errors + community.errors
