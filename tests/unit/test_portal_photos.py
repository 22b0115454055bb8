"""Photos in the portal, backends faked: the community console, the department worklist and the resident's ticket
page show a ticket's photos as thumbnails that open full size; the 我要吹哨 picker uploads through the portal with the
person's own token; the filing carries the photos and the position only when sent; photo bytes come from intake as
the viewer, and what intake refuses the portal does not show."""
from __future__ import annotations

import json
import re

import httpx
from fastapi.testclient import TestClient

from tests.unit.test_portal_pages import (  # noqa: F401 - fixtures
    FILE_FORM,
    FakeBackends,
    department_ticket,
    dispatch_ticket,
    fake,
    hidden_idempotency_key,
    intake_ticket,
    log_in,
    portal,
    settings,
)

A, B = "a" * 32, "b" * 32
PHOTOS = [f"/attachments/{A}.jpg", f"/attachments/{B}.jpg"]


def thumbnails(html: str) -> list[tuple[str, str]]:
    """(link, thumbnail) of every photo tile on the page."""
    return re.findall(r'<a href="(/attachments/[^"]+)"[^>]*><img src="(/attachments/[^"]+)"', html)


def test_the_community_console_shows_each_photo_as_a_thumbnail_opening_full_size(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket(attachments=PHOTOS)]))
    log_in(portal, "xinran_staff")
    html = portal.get("/console").text
    assert thumbnails(html) == [(PHOTOS[0], f"/attachments/{A}/thumbnail.jpg"), (PHOTOS[1], f"/attachments/{B}/thumbnail.jpg")]
    assert 'alt="现场照片 1"' in html and 'target="_blank"' in html


def test_the_department_worklist_shows_the_photos(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[department_ticket(attachments=PHOTOS[:1])]))
    log_in(portal, "urban_staff")
    assert thumbnails(portal.get("/worklist").text) == [(PHOTOS[0], f"/attachments/{A}/thumbnail.jpg")]


def test_the_residents_ticket_page_shows_the_photos(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", attachments=PHOTOS)))
    log_in(portal, "resident1")
    assert [link for link, _ in thumbnails(portal.get("/tickets/T1").text)] == PHOTOS


def test_a_ticket_without_photos_shows_no_photo_strip_and_foreign_links_are_links_not_images(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1")))
    fake.on("intake", "GET", "/tickets/T2", httpx.Response(200, json=intake_ticket(
        id="T2", attachments=["https://files.example/p.jpg", "wechat-media:123", "javascript:alert(1)"],
    )))
    log_in(portal, "resident1")
    assert "photo-strip" not in portal.get("/tickets/T1").text
    html = portal.get("/tickets/T2").text
    assert '<a href="https://files.example/p.jpg" target="_blank" rel="noopener noreferrer">照片链接 1</a>' in html
    assert "<img src=\"https://" not in html and "javascript:alert" not in html and "wechat-media" not in html


def test_the_file_form_has_a_photo_picker_for_up_to_nine_photos(portal: TestClient) -> None:
    log_in(portal, "resident1")
    html = portal.get("/file").text
    assert 'data-photo-picker data-upload="/file/photos" data-max="9"' in html
    assert 'accept="image/jpeg,image/png,image/webp" multiple' in html
    assert "添加照片" in html and "最多 9 张" in html and "/static/photos.js" in html
    assert portal.get("/static/photos.js").status_code == 200


def test_picked_photos_go_to_intake_with_the_residents_token_and_come_back_as_json(portal: TestClient, fake: FakeBackends) -> None:
    uploaded = {"photos": [{"id": A, "url": PHOTOS[0], "thumbnail_url": f"/attachments/{A}/thumbnail.jpg", "content_type": "image/jpeg",
                            "size_bytes": 10, "width": 1, "height": 1, "suggested_location": {"latitude": 39.75, "longitude": 116.14}}],
                "suggested_location": {"latitude": 39.75, "longitude": 116.14}}
    fake.on("intake", "POST", "/attachments", httpx.Response(201, json=uploaded))
    log_in(portal, "resident1")
    reply = portal.post("/file/photos", files=[("photos", ("p.jpg", b"\xff\xd8photo", "image/jpeg"))])
    assert reply.status_code == 201 and reply.json() == uploaded
    (sent,) = fake.sent("intake", "POST", "/attachments")
    assert sent.headers["authorization"] == f"Bearer {portal.cookies['whistle_session']}"
    assert b'name="files"; filename="p.jpg"' in sent.content and b"\xff\xd8photo" in sent.content


def test_a_photo_intake_refuses_comes_back_as_a_chinese_message_naming_the_field(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/attachments", httpx.Response(422, json={"detail": "files: 'x.jpg' is not accepted"}))
    log_in(portal, "resident1")
    reply = portal.post("/file/photos", files=[("photos", ("x.jpg", b"#!/bin/sh", "image/jpeg"))])
    assert reply.status_code == 422 and reply.json()["error"].startswith("照片：")


def test_more_than_nine_photos_are_refused_by_the_portal_without_calling_intake(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "resident1")
    reply = portal.post("/file/photos", files=[("photos", (f"{n}.jpg", b"x", "image/jpeg")) for n in range(10)])
    assert reply.status_code == 422 and "9" in reply.json()["error"]
    assert not fake.sent("intake", "POST", "/attachments")


def test_only_residents_and_grid_workers_upload_through_the_file_form(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "urban_staff")
    assert portal.post("/file/photos", files=[("photos", ("p.jpg", b"x", "image/jpeg"))]).status_code == 403
    assert not fake.sent("intake", "POST", "/attachments")


def test_the_filing_carries_the_uploaded_photos_and_the_position_only_when_sent(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/tickets", httpx.Response(201, json=intake_ticket()))
    log_in(portal, "resident1")
    key = hidden_idempotency_key(portal.get("/file").text)
    form = {**FILE_FORM, "idempotency_key": key, "attachments": PHOTOS, "latitude": "", "longitude": ""}
    assert portal.post("/file", data=form, follow_redirects=False).status_code == 303
    form.update(latitude="39.75", longitude="116.14")
    assert portal.post("/file", data=form, follow_redirects=False).status_code == 303
    declined, agreed = (json.loads(r.content) for r in fake.sent("intake", "POST", "/tickets"))
    assert declined["attachments"] == PHOTOS and "latitude" not in declined and "longitude" not in declined
    assert agreed["attachments"] == PHOTOS and (agreed["latitude"], agreed["longitude"]) == (39.75, 116.14)


def test_a_refused_filing_keeps_the_uploaded_photos_on_the_form(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/tickets", httpx.Response(422, json={"detail": "category: unknown category 'x'"}))
    log_in(portal, "resident1")
    form = {**FILE_FORM, "idempotency_key": "k" * 20, "attachments": PHOTOS}
    html = portal.post("/file", data=form).text
    assert [v for v in re.findall(r'name="attachments" value="([^"]+)"', html)] == PHOTOS
    assert f'<img src="/attachments/{A}/thumbnail.jpg"' in html


def test_a_form_naming_something_that_is_not_an_uploaded_photo_is_refused_before_intake(
    portal: TestClient, fake: FakeBackends
) -> None:
    log_in(portal, "resident1")
    form = {**FILE_FORM, "idempotency_key": "k" * 20, "attachments": ["/attachments/../../etc/passwd"]}
    refused = portal.post("/file", data=form)
    assert refused.status_code == 422 and "照片" in refused.text
    assert not fake.sent("intake", "POST", "/tickets")


def test_a_photo_is_fetched_from_intake_as_the_viewer(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", f"/attachments/{A}/thumbnail.jpg",
            httpx.Response(200, content=b"\xff\xd8thumb", headers={"content-type": "image/jpeg"}))
    log_in(portal, "xinran_staff")
    got = portal.get(f"/attachments/{A}/thumbnail.jpg")
    assert got.status_code == 200 and got.content == b"\xff\xd8thumb" and got.headers["content-type"] == "image/jpeg"
    assert "private" in got.headers["cache-control"]
    (sent,) = fake.sent("intake", "GET", f"/attachments/{A}/thumbnail.jpg")
    assert sent.headers["authorization"] == f"Bearer {portal.cookies['whistle_session']}"


def test_a_photo_intake_will_not_show_the_viewer_is_a_404_and_a_bad_id_never_reaches_intake(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("intake", "GET", f"/attachments/{B}.jpg", httpx.Response(404, json={"detail": "not found"}))
    log_in(portal, "resident1")
    assert portal.get(f"/attachments/{B}.jpg").status_code == 404
    assert portal.get("/attachments/..%2F..%2Fetc.jpg").status_code == 404
    assert portal.get("/attachments/XYZ.jpg").status_code == 404
    assert [r.url.path for r in fake.sent("intake", "GET", f"/attachments/{B}.jpg")] == [f"/attachments/{B}.jpg"]
    assert len([r for s, r in fake.requests if s == "intake"]) == 1


def test_a_photo_needs_a_session(portal: TestClient) -> None:
    got = portal.get(f"/attachments/{A}.jpg", follow_redirects=False)
    assert got.status_code == 303 and got.headers["location"].startswith("/login")
