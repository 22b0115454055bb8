"""A 微心愿 in 我的诉求: named by its wish status (asked of the wishes service, which owns it), linked to its own page
(/my-wishes/{id}: the wisher's only), and the list still shows when the wishes service cannot answer."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.portal_client import PortalClient

from libs.settings import Settings
from services.portal.app import create_app
from tests.unit.test_portal_pages import FakeBackends, intake_ticket, log_in
from tests.unit.test_portal_wishes import full_wish

WISH_ID = "T20261127-0000WISH"


@pytest.fixture
def fake() -> FakeBackends:
    return FakeBackends()


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeBackends) -> Iterator[TestClient]:
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_DEMO_USERS", raising=False)
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    settings = Settings(data_dir=tmp_path, database_url=None, intake_url="http://intake.test", wishes_url="http://wishes.test")
    with PortalClient(create_app(settings, transport=httpx.MockTransport(fake.handle))) as client:
        yield client


def mine_with_a_wish(fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/mine", httpx.Response(200, json=[
        intake_ticket(), intake_ticket(id=WISH_ID, kind="wish", title="想请人陪我去医院复查", category="wish"),
    ]))


def test_my_tickets_shows_a_wish_with_its_wish_status_and_links_to_its_page(portal: TestClient, fake: FakeBackends) -> None:
    mine_with_a_wish(fake)
    fake.on("wishes", "GET", "/wishes/mine", httpx.Response(200, json=[full_wish(id=WISH_ID, status="fulfilled")]))
    log_in(portal, "resident1")
    page = portal.get("/mine").text
    wish_row = page[page.index(f'href="/my-wishes/{WISH_ID}"'):]
    assert "已圆梦·待确认" in wish_row[:800] and "去确认圆梦" in wish_row[:800]
    assert f'href="/tickets/{WISH_ID}"' not in page and 'href="/tickets/T20261126-0000ABCD"' in page
    assert "待转哨" in page  # the ordinary ticket keeps intake's status


def test_a_wish_not_yet_in_the_wishes_service_reads_awaiting_review(portal: TestClient, fake: FakeBackends) -> None:
    mine_with_a_wish(fake)
    fake.on("wishes", "GET", "/wishes/mine", httpx.Response(200, json=[]))
    log_in(portal, "resident1")
    assert "待审核" in portal.get("/mine").text


def test_the_list_still_shows_when_the_wishes_service_is_down(portal: TestClient, fake: FakeBackends) -> None:
    mine_with_a_wish(fake)
    fake.on("wishes", "GET", "/wishes/mine", httpx.Response(503, json={"detail": "down"}))
    log_in(portal, "resident1")
    page = portal.get("/mine")
    assert page.status_code == 200 and "心愿进度暂时查不到" in page.text and f"/my-wishes/{WISH_ID}" in page.text


def test_no_wish_no_call_to_the_wishes_service(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/mine", httpx.Response(200, json=[intake_ticket()]))
    log_in(portal, "resident1")
    assert portal.get("/mine").status_code == 200
    assert fake.sent("wishes", "GET", "/wishes/mine") == []


def test_the_wish_page_is_the_wishers_own(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("wishes", "GET", f"/wishes/{WISH_ID}", httpx.Response(200, json=full_wish(
        id=WISH_ID, status="fulfilled", claimant_label="党员志愿者 王*", fulfil_note="陪同复查", fulfil_hours=2,
        fulfil_photos=["/attachments/abc123.jpg"],
    )))
    log_in(portal, "resident1")
    page = portal.get(f"/my-wishes/{WISH_ID}")
    assert page.status_code == 200
    assert "已圆梦·待确认" in page.text and "党员志愿者 王*" in page.text and "陪同复查" in page.text
    assert f'action="/my-wishes/{WISH_ID}/confirm"' in page.text and "/attachments/abc123/thumbnail.jpg" in page.text
    assert fake.sent("wishes", "GET", f"/wishes/{WISH_ID}")[0].headers["Authorization"].startswith("Bearer ")


def test_someone_elses_wish_or_an_unknown_one_is_not_found(portal: TestClient, fake: FakeBackends) -> None:
    # staff see whole wishes too, but this page is the wisher's: a wish that is not mine is not shown here
    fake.on("wishes", "GET", f"/wishes/{WISH_ID}", httpx.Response(200, json=full_wish(id=WISH_ID, is_mine=False)))
    log_in(portal, "grid1")
    other = portal.get(f"/my-wishes/{WISH_ID}")
    assert other.status_code == 404 and "未找到这个心愿" in other.text and "腿脚不便" not in other.text
    fake.on("wishes", "GET", "/wishes/T-none", httpx.Response(404, json={"detail": "心愿 T-none 不存在"}))
    assert portal.get("/my-wishes/T-none").status_code == 404


def test_the_ticket_page_of_a_wish_points_to_the_wish_and_names_no_department(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", f"/tickets/{WISH_ID}", httpx.Response(200, json=intake_ticket(id=WISH_ID, kind="wish")))
    log_in(portal, "resident1")
    page = portal.get(f"/tickets/{WISH_ID}").text
    assert f'href="/my-wishes/{WISH_ID}"' in page and "承办部门" not in page


def test_other_roles_do_not_get_the_wish_page(portal: TestClient) -> None:
    log_in(portal, "volunteer1")
    assert portal.get(f"/my-wishes/{WISH_ID}").status_code == 403
