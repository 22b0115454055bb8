"""我的网格 and the filing form's map with intake replaced by a fake: who may open them, what is asked of intake, what is
shown, and what the form sends when the pin is outside every grid."""
from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from libs.auth import decode_token
from services.portal import grids
from services.portal.views import SESSION_COOKIE
from tests.unit.test_portal_pages import (  # noqa: F401 - fixtures
    FILE_FORM,
    FakeBackends,
    fake,
    hidden_idempotency_key,
    intake_ticket,
    log_in,
    portal,
    settings,
)

PHOTO = "/attachments/" + "ab" * 16 + ".jpg"
GRIDS = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"grid_id": g, "community_id": c, "name": n},
         "geometry": {"type": "Polygon", "coordinates": [[[116.1, 39.7], [116.2, 39.7], [116.2, 39.8], [116.1, 39.7]]]}}
        for g, c, n in (("xinran-01", "xinran", "馨然嘉园第一网格"), ("xinran-02", "xinran", "馨然嘉园第二网格"),
                        ("jiamenkou-01", "jiamenkou", "佳门口第一网格"))
    ],
}


@pytest.fixture(autouse=True)
def fresh_grid_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grids, "FRESH_SECONDS", 0.0)  # every page asks the fake again


def test_the_grid_page_lists_the_grid_workers_tickets_with_grid_name_photo_and_link(portal: TestClient, fake: FakeBackends) -> None:
    tickets = [
        intake_ticket(id="T1", grid_id="xinran-01", attachments=[PHOTO], address="馨然嘉园5号楼", verified_on_site=True),
        intake_ticket(id="T2", grid_id="xinran-02", address=None, latitude=39.75, longitude=116.14, status="dispatched"),
    ]
    fake.on("intake", "GET", "/tickets/grid", httpx.Response(200, json=tickets))
    fake.on("intake", "GET", "/grids", httpx.Response(200, json=GRIDS))
    log_in(portal, "grid1")
    assert decode_token(portal.cookies[SESSION_COOKIE]).grid_ids == ["xinran-01", "xinran-02"]

    page = portal.get("/grid")
    assert page.status_code == 200
    html = page.text
    assert 'href="/tickets/T1"' in html and 'href="/tickets/T2"' in html
    assert "馨然嘉园第一网格" in html and "馨然嘉园第二网格" in html and "馨然嘉园5号楼" in html and "已标注位置" in html
    assert f'src="{PHOTO[:-4]}/thumbnail.jpg"' in html and "现场核实" in html
    assert '<a href="/grid"' in html  # the nav tab 我的网格
    sent = fake.sent("intake", "GET", "/tickets/grid")[0]
    assert sent.headers["authorization"].startswith("Bearer ")
    assert sent.url.params.get_list("status") == [] and sent.url.params["offset"] == "0"


def test_the_grid_page_tabs_ask_for_their_statuses_and_pages_move_the_offset(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/grid", httpx.Response(200, json=[intake_ticket(id=f"T{i}") for i in range(21)]))
    fake.on("intake", "GET", "/grids", httpx.Response(503))
    log_in(portal, "grid1")
    html = portal.get("/grid", params={"show": "handling", "page": 2}).text
    sent = fake.sent("intake", "GET", "/tickets/grid")[-1]
    assert sent.url.params.get_list("status") == ["dispatched", "accepted"] and sent.url.params["offset"] == "20"
    assert html.count('class="card ticket-row grid-row"') == 20 and "下一页" in html and "上一页" in html
    assert "xinran-01" in html  # names unavailable: the ids are shown


@pytest.mark.parametrize("username", ["resident1", "xinran_staff", "supervisor1"])
def test_the_grid_page_is_for_grid_workers_only(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    page = portal.get("/grid")
    assert page.status_code == 403 and "网格员" in page.text
    assert fake.sent("intake", "GET", "/tickets/grid") == []


def test_the_map_gets_the_chosen_communitys_grids(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/grids", httpx.Response(200, json=GRIDS))
    log_in(portal, "resident1")
    mine = portal.get("/file/grids").json()  # no community named: the resident's own
    assert [f["properties"]["grid_id"] for f in mine["features"]] == ["xinran-01", "xinran-02"]
    other = portal.get("/file/grids", params={"community_id": "jiamenkou"}).json()
    assert [f["properties"]["grid_id"] for f in other["features"]] == ["jiamenkou-01"]
    unknown = portal.get("/file/grids", params={"community_id": "atlantis"})
    assert unknown.status_code == 422 and "所属社区" in unknown.json()["error"]


def test_the_map_says_so_when_intake_cannot_give_the_grids(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/grids", httpx.Response(503))
    log_in(portal, "resident1")
    answer = portal.get("/file/grids")
    assert answer.status_code == 503 and "网格地图暂时无法加载" in answer.json()["error"]


def test_locate_names_the_grid_and_its_community_and_refuses_a_bad_point(portal: TestClient, fake: FakeBackends) -> None:
    place = {"grid_id": "jiamenkou-01", "community_id": "jiamenkou", "name": "佳门口第一网格"}
    fake.on("intake", "GET", "/grids/locate", httpx.Response(200, json=place))
    log_in(portal, "resident1")
    found = portal.get("/file/locate", params={"latitude": "39.741", "longitude": "116.17968"})
    assert found.json() == {**place, "community_name": "佳门口社区"}
    assert fake.sent("intake", "GET", "/grids/locate")[0].url.params["latitude"] == "39.741"
    for params, field in (({"latitude": "north", "longitude": "116"}, "纬度"), ({"latitude": "39", "longitude": "200"}, "经度"),
                          ({"latitude": "nan", "longitude": "116"}, "纬度")):
        bad = portal.get("/file/locate", params=params)
        assert bad.status_code == 422 and bad.json()["error"].startswith(field)
    fake.on("intake", "GET", "/grids/locate", httpx.Response(200, json={"grid_id": None, "community_id": None, "name": None}))
    assert portal.get("/file/locate", params={"latitude": "39.9", "longitude": "116.39"}).json()["community_name"] is None


def test_the_map_endpoints_need_a_login(portal: TestClient) -> None:
    for path in ("/file/grids", "/file/locate?latitude=39.7&longitude=116.1"):
        assert portal.get(path, follow_redirects=False).status_code == 303


def test_a_pin_outside_every_grid_files_without_a_community_and_no_pin_files_in_the_residents(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("intake", "POST", "/tickets", httpx.Response(201, json=intake_ticket()))
    log_in(portal, "resident1")
    form = portal.get("/file").text
    assert 'data-map-pin' in form and "使用当前位置" in form and "/static/vendor/leaflet/leaflet.js" in form
    outside = {**FILE_FORM, "community_id": "", "latitude": "39.9087", "longitude": "116.3975"}
    portal.post("/file", data={**outside, "idempotency_key": hidden_idempotency_key(form)})
    sent = json.loads(fake.sent("intake", "POST", "/tickets")[-1].content)
    assert (sent["community_id"], sent["latitude"], sent["longitude"]) == (None, 39.9087, 116.3975)
    portal.post("/file", data={**FILE_FORM, "community_id": "", "idempotency_key": hidden_idempotency_key(portal.get("/file").text)})
    assert json.loads(fake.sent("intake", "POST", "/tickets")[-1].content)["community_id"] == "xinran"


def test_the_ticket_page_shows_its_grid_and_position_and_a_grid_worker_goes_back_to_the_grid(
    portal: TestClient, fake: FakeBackends
) -> None:
    ticket = intake_ticket(id="T9", grid_id="xinran-01", latitude=39.74064, longitude=116.14039)
    fake.on("intake", "GET", "/tickets/T9", httpx.Response(200, json=ticket))
    fake.on("intake", "GET", "/grids", httpx.Response(200, json=GRIDS))
    log_in(portal, "grid1")
    html = portal.get("/tickets/T9").text
    assert "馨然嘉园第一网格" in html and "39.74064, 116.14039" in html and 'href="/grid"' in html
