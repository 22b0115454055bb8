"""积分兑换 pages with the wishes service faked: the catalogue with stock and the person's balance, redeem (a refusal
named in Chinese on the page), my redemptions with the pickup code as letters and a QR code; 兑换核销 for the
community's staff: type a code (normalised), a wrong code named, pending pickups, add / restock / withdraw items."""
from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.portal_client import PortalClient

from libs.settings import Settings
from services.portal.app import create_app
from tests.unit.test_portal_pages import FakeBackends, log_in

NOW = "2026-11-27T02:30:00+00:00"
SOAP = {"id": "item-soap", "community_id": "xinran", "name": "洗衣液", "description": "500 毫升", "points": 60, "stock": 2,
        "kind": "offline", "active": True, "created_at": NOW}
CARD = {**SOAP, "id": "item-card", "name": "话费 10 元", "description": "", "points": 300, "stock": 0, "kind": "online"}
PENDING = {"id": "red-1", "item_id": "item-soap", "item_name": "洗衣液", "community_id": "xinran", "points": 60,
           "status": "pending_pickup", "created_at": NOW, "code": "K7M2Q9XA", "closed_at": None, "owner_label": None}


@pytest.fixture
def fake() -> FakeBackends:
    fake = FakeBackends()
    fake.on("wishes", "GET", "/public/communities/xinran/rewards", httpx.Response(200, json=[SOAP, CARD]))
    fake.on("wishes", "GET", "/me/points", httpx.Response(200, json={"points": 100, "minutes": 0, "hours": 0, "lines": []}))
    fake.on("wishes", "GET", "/me/redemptions", httpx.Response(200, json=[PENDING]))
    fake.on("wishes", "GET", "/communities/xinran/rewards", httpx.Response(200, json=[SOAP, {**CARD, "active": False}]))
    fake.on("wishes", "GET", "/communities/xinran/redemptions",
            httpx.Response(200, json=[{**PENDING, "code": None, "owner_label": "m-ri…"}]))
    return fake


@pytest.fixture
def portal(tmp_path, monkeypatch, fake: FakeBackends) -> Iterator[TestClient]:
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_DEMO_USERS", raising=False)
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    settings = Settings(data_dir=tmp_path, database_url=None, wishes_url="http://wishes.test")
    with PortalClient(create_app(settings, transport=httpx.MockTransport(fake.handle))) as client:
        yield client


def test_the_catalogue_shows_stock_balance_and_my_pickup_code_with_a_qr_code(portal: TestClient) -> None:
    log_in(portal, "resident1")
    page = portal.get("/rewards")
    assert page.status_code == 200
    text = page.text
    assert "洗衣液" in text and "剩 2 件" in text and "100" in text and "到党群服务中心领取" in text
    card = text[text.index('data-item="item-card"'):]
    assert "已兑完" in card[:600] and "disabled" in card[:900]
    assert "K7M2 Q9XA" in text and "<svg" in text and "兑换码 K7M2Q9XA" in text  # letters and the QR code's title
    assert 'action="/rewards/redemptions/red-1/cancel"' in text
    assert 'href="/rewards"' in text  # in the navigation


def test_redeem_goes_to_my_redemptions_and_a_refusal_is_named_on_the_page(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "volunteer1")
    fake.on("wishes", "POST", "/rewards/item-soap/redeem", httpx.Response(201, json={**PENDING, "id": "red-2"}))
    done = portal.post("/rewards/item-soap/redeem", follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/rewards?ok=redeemed#r-red-2")
    assert "兑换成功" in portal.get("/rewards?ok=redeemed").text
    fake.on("wishes", "POST", "/rewards/item-soap/redeem", httpx.Response(409, json={"detail": "积分余额不足：现有 10，需要 60"}))
    refused = portal.post("/rewards/item-soap/redeem", follow_redirects=False)
    assert refused.status_code == 409 and "积分余额不足：现有 10，需要 60" in refused.text


def test_cancelling_my_redemption_refunds_through_the_wishes_service(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "resident1")
    fake.on("wishes", "POST", "/redemptions/red-1/cancel", httpx.Response(200, json={**PENDING, "status": "cancelled", "code": None}))
    done = portal.post("/rewards/redemptions/red-1/cancel", follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/rewards?ok=cancelled")
    assert len(fake.sent("wishes", "POST", "/redemptions/red-1/cancel")) == 1


def test_staff_collect_a_typed_code_and_a_wrong_one_is_named(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    desk = portal.get("/rewards/desk")
    assert desk.status_code == 200 and "待领取（1）" in desk.text and "居民 m-ri…" in desk.text and "K7M2" not in desk.text
    assert "已下架" in desk.text and "重新上架" in desk.text and "rewards.js" in desk.text
    fake.on("wishes", "POST", "/communities/xinran/redemptions/collect",
            httpx.Response(200, json={**PENDING, "status": "collected", "code": None}))
    done = portal.post("/rewards/desk/xinran/collect", data={"code": " k7m2-q9xa "})
    assert done.status_code == 200 and "核销成功" in done.text and "洗衣液" in done.text
    assert json.loads(fake.sent("wishes", "POST", "/communities/xinran/redemptions/collect")[0].content) == {"code": "K7M2Q9XA"}
    fake.on("wishes", "POST", "/communities/xinran/redemptions/collect", httpx.Response(404, json={"detail": "兑换码无效或已使用"}))
    wrong = portal.post("/rewards/desk/xinran/collect", data={"code": "ZZZZ9999"})
    assert wrong.status_code == 404 and "兑换码无效或已使用" in wrong.text


def test_a_community_staff_desk_is_their_own_community(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    portal.get("/rewards/desk?community=shiliuqiao")
    assert fake.sent("wishes", "GET", "/communities/shiliuqiao/rewards") == []
    assert len(fake.sent("wishes", "GET", "/communities/xinran/rewards")) == 1
    fake.on("wishes", "GET", "/communities/shiliuqiao/rewards", httpx.Response(403, json={"detail": "这个心愿不属于您所在的社区"}))
    fake.on("wishes", "POST", "/communities/shiliuqiao/redemptions/collect", httpx.Response(403, json={"detail": "这个心愿不属于您所在的社区"}))
    # a forged post to another community's desk: the backend refuses it and the page says so, no 500
    forged = portal.post("/rewards/desk/shiliuqiao/collect", data={"code": "K7M2Q9XA"})
    assert forged.status_code == 403


def test_staff_add_restock_and_withdraw_items(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    fake.on("wishes", "POST", "/communities/xinran/rewards", httpx.Response(201, json=SOAP))
    fake.on("wishes", "PATCH", "/rewards/item-soap", httpx.Response(200, json=SOAP))
    added = portal.post("/rewards/desk/xinran/items", data={"name": " 洗衣液 ", "description": "", "points": "60", "stock": "2", "kind": "offline"},
                        follow_redirects=False)
    assert (added.status_code, added.headers["location"]) == (303, "/rewards/desk?community=xinran&ok=item_added")
    assert json.loads(fake.sent("wishes", "POST", "/communities/xinran/rewards")[0].content) == {
        "name": "洗衣液", "description": "", "points": 60, "stock": 2, "kind": "offline"}
    portal.post("/rewards/desk/xinran/items/item-soap", data={"points": "", "stock": "5"})
    portal.post("/rewards/desk/xinran/items/item-soap", data={"active": "false"})
    bodies = [json.loads(r.content) for r in fake.sent("wishes", "PATCH", "/rewards/item-soap")]
    assert bodies == [{"stock": 5}, {"active": False}]


def test_a_bad_item_form_names_the_field_in_chinese_and_sends_nothing(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    refused = portal.post("/rewards/desk/xinran/items", data={"name": "洗衣液", "points": "0", "stock": "2"})
    assert refused.status_code == 422 and "所需积分" in refused.text
    assert fake.sent("wishes", "POST", "/communities/xinran/rewards") == []


@pytest.mark.parametrize(("username", "path"), [("resident1", "/rewards/desk"), ("xinran_staff", "/rewards"), ("urban_staff", "/rewards")])
def test_each_page_is_for_its_roles(portal: TestClient, username: str, path: str) -> None:
    log_in(portal, username)
    assert portal.get(path).status_code == 403


def test_the_pages_need_a_login(portal: TestClient) -> None:
    assert portal.get("/rewards", follow_redirects=False).status_code in (302, 303)
