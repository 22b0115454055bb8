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


def test_the_owner_reads_the_pickup_code_until_it_is_used_and_staff_never_do(db: WishDb) -> None:
    soap = item(db, stock=3)
    got = db.run(catalogue.redeem, principal=RESIDENT, item_id=soap)
    stored = db.read(lambda s: s.get(catalogue.Redemption, got.id))
    assert got.code not in (stored.code_enc or "") and stored.code_hash != got.code  # kept encrypted and hashed
    assert [r.code for r in db.read(lambda s: catalogue.mine(s, principal=RESIDENT))] == [got.code]
    staff_view = db.read(lambda s: catalogue.redemptions_of(s, principal=STAFF, community_id="xinran", status="pending_pickup"))
    assert [(r.id, r.code, r.owner_label) for r in staff_view] == [(got.id, None, "m-ri…")]
    with pytest.raises(Forbidden):
        db.read(lambda s: catalogue.redemptions_of(s, principal=OTHER_STAFF, community_id="xinran", status=None))
    db.run(catalogue.collect, principal=STAFF, community_id="xinran", code=got.code)
    assert [(r.status, r.code) for r in db.read(lambda s: catalogue.mine(s, principal=RESIDENT))] == [("collected", None)]
    assert db.read(lambda s: s.get(catalogue.Redemption, got.id)).code_enc is None


def test_staff_restock_reprice_and_withdraw_items_of_their_own_community_only(db: WishDb) -> None:
    soap = item(db, stock=0)
    with pytest.raises(Forbidden):
        db.run(catalogue.change_item, principal=OTHER_STAFF, item_id=soap, body=catalogue.RewardChange(stock=5))
    with pytest.raises(NotFound):
        db.run(catalogue.change_item, principal=STAFF, item_id="no-such-item", body=catalogue.RewardChange(stock=5))
    changed = db.run(catalogue.change_item, principal=STAFF, item_id=soap, body=catalogue.RewardChange(stock=5, points=50))
    assert (changed.stock, changed.points, changed.name) == (5, 50, "洗衣液")
    assert db.run(catalogue.redeem, principal=RESIDENT, item_id=soap).points == 50
    db.run(catalogue.change_item, principal=STAFF, item_id=soap, body=catalogue.RewardChange(active=False))
    assert db.read(lambda s: catalogue.catalogue(s, community_id="xinran")) == []
    assert [i.active for i in db.read(lambda s: catalogue.items_of(s, principal=STAFF, community_id="xinran"))] == [False]
    with pytest.raises(NotFound):
        db.run(catalogue.redeem, principal=RESIDENT, item_id=soap)
    with pytest.raises(Forbidden):
        db.read(lambda s: catalogue.items_of(s, principal=OTHER_STAFF, community_id="xinran"))
