"""积分兑换: a redemption spends points and stock together, a short balance or an empty stock is a 409 with nothing
stored, an offline reward is collected once with its code in its own community, a cancellation refunds."""
from __future__ import annotations

import pytest

from libs.auth.principal import Principal
from libs.statemachine import DomainError, Forbidden, NotFound
from services.wishes import catalogue, ledger
from services.wishes.catalogue import RewardItem, RewardRequest
from tests.unit.wish_helpers import OTHER_STAFF, STAFF, WishDb

RESIDENT = Principal(sub="m-rich", role="resident", community_id="xinran")
ELSEWHERE = Principal(sub="m-far", role="resident", community_id="shiliuqiao")


@pytest.fixture
def db(tmp_path) -> WishDb:
    db = WishDb(tmp_path)
    for who in (RESIDENT, ELSEWHERE):
        db.run(ledger.earn, owner_id=who.sub, community_id=who.community_id, source_event_id=f"seed-{who.sub}",
               reason="wish_fulfilled", points=100)
    return db


def item(db: WishDb, **fields) -> str:
    body = RewardRequest(**{"name": "洗衣液", "points": 60, "stock": 1, "kind": "offline", **fields})
    return db.run(catalogue.add_item, principal=STAFF, community_id="xinran", body=body).id


def points(db: WishDb, who: Principal = RESIDENT) -> int:
    return db.read(lambda s: ledger.balance(s, who.sub, "points"))


def stock(db: WishDb, item_id: str) -> int:
    return db.read(lambda s: s.get(RewardItem, item_id).stock)


def test_redeem_collect_once_with_the_code_in_its_community(db: WishDb) -> None:
    soap = item(db)
    got = db.run(catalogue.redeem, principal=RESIDENT, item_id=soap)
    assert (got.status, len(got.code or ""), points(db), stock(db, soap)) == ("pending_pickup", 8, 40, 0)
    with pytest.raises(DomainError, match="已兑完"):
        db.run(catalogue.redeem, principal=RESIDENT, item_id=soap)
    with pytest.raises(Forbidden):
        db.run(catalogue.collect, principal=OTHER_STAFF, community_id="xinran", code=got.code)
    with pytest.raises(NotFound, match="兑换码无效"):
        db.run(catalogue.collect, principal=STAFF, community_id="xinran", code="WRONG123")
    assert db.run(catalogue.collect, principal=STAFF, community_id="xinran", code=got.code.lower()).status == "collected"
    with pytest.raises(NotFound, match="已使用"):
        db.run(catalogue.collect, principal=STAFF, community_id="xinran", code=got.code)
    with pytest.raises(DomainError, match="不能再取消"):
        db.run(catalogue.cancel, principal=RESIDENT, redemption_id=got.id)


def test_a_short_balance_is_refused_and_stores_nothing(db: WishDb) -> None:
    costly = item(db, points=150, stock=5)
    with pytest.raises(DomainError, match="积分余额不足"):
        db.run(catalogue.redeem, principal=RESIDENT, item_id=costly)
    assert (points(db), stock(db, costly), db.read(lambda s: catalogue.mine(s, principal=RESIDENT))) == (100, 5, [])


def test_a_cancelled_redemption_returns_stock_and_points_once(db: WishDb) -> None:
    soap = item(db, stock=2)
    got = db.run(catalogue.redeem, principal=RESIDENT, item_id=soap)
    with pytest.raises(NotFound):
        db.run(catalogue.cancel, principal=ELSEWHERE, redemption_id=got.id)  # someone else's: as if it did not exist
    with pytest.raises(Forbidden):
        db.run(catalogue.cancel, principal=OTHER_STAFF, redemption_id=got.id)
    assert db.run(catalogue.cancel, principal=STAFF, redemption_id=got.id).status == "cancelled"
    assert (points(db), stock(db, soap)) == (100, 2)
    with pytest.raises(DomainError, match="不能再取消"):
        db.run(catalogue.cancel, principal=RESIDENT, redemption_id=got.id)
    assert points(db) == 100


def test_online_rewards_are_delivered_at_once_and_only_the_own_community_redeems(db: WishDb) -> None:
    card = item(db, name="话费 10 元", kind="online", points=30, stock=3)
    got = db.run(catalogue.redeem, principal=RESIDENT, item_id=card)
    assert (got.status, got.code) == ("delivered", None)
    with pytest.raises(Forbidden, match="本社区"):
        db.run(catalogue.redeem, principal=ELSEWHERE, item_id=card)
    with pytest.raises(Forbidden):
        db.run(catalogue.add_item, principal=OTHER_STAFF, community_id="xinran", body=RewardRequest(name="x", points=1, stock=1))
