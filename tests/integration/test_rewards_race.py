"""积分兑换 on PostgreSQL: twenty people redeem the last item at once — exactly one gets it, nobody else pays; a
cancellation gives the points back."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session

from services.wishes import ledger
from tests.integration.conftest import bearer

STAFF = bearer("community_staff", "s-rewards", community_id="xinran")
PEOPLE = [f"m-reward-{i}" for i in range(20)]


def test_twenty_concurrent_redemptions_of_the_last_item_give_it_to_exactly_one(service_clients):
    wishes = service_clients["wishes"]
    engine = wishes.app.state.runtime.engine
    with Session(engine) as session:
        for sub in PEOPLE:
            ledger.earn(session, owner_id=sub, community_id="xinran", source_event_id=f"seed-{sub}", reason="wish_fulfilled", points=50)
        session.commit()
    added = wishes.post("/communities/xinran/rewards", json={"name": "理发券", "points": 30, "stock": 1, "kind": "offline"}, headers=STAFF)
    assert added.status_code == 201, added.text
    item_id = added.json()["id"]

    tokens = [bearer("resident", sub, community_id="xinran") for sub in PEOPLE]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda token: wishes.post(f"/rewards/{item_id}/redeem", headers=token), tokens))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 19, [a.text for a in answers]
    assert all("已兑完" in a.json()["detail"] for a in answers if a.status_code == 409)
    winner = PEOPLE[[a.status_code for a in answers].index(201)]
    with Session(engine) as session:
        assert {sub: ledger.balance(session, sub, "points") for sub in PEOPLE} == {sub: 20 if sub == winner else 50 for sub in PEOPLE}
    assert [r["stock"] for r in wishes.get("/public/communities/xinran/rewards").json() if r["id"] == item_id] == [0]

    redemption = answers[PEOPLE.index(winner)].json()
    cancelled = wishes.post(f"/redemptions/{redemption['id']}/cancel", headers=tokens[PEOPLE.index(winner)])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    mine = wishes.get("/me/points", headers=tokens[PEOPLE.index(winner)]).json()
    assert mine["points"] == 50 and [line["reason_zh"] for line in mine["lines"]][:2] == ["兑换退还", "兑换"]
    collected = wishes.post("/communities/xinran/redemptions/collect", json={"code": redemption["code"]}, headers=STAFF)
    assert collected.status_code == 404  # a cancelled redemption's code no longer works


OTHER_STAFF = bearer("community_staff", "s-rewards-other", community_id="shiliuqiao")


def test_the_pickup_code_is_its_owners_and_the_desk_is_the_communitys(service_clients):
    wishes = service_clients["wishes"]
    with Session(wishes.app.state.runtime.engine) as session:
        ledger.earn(session, owner_id="m-code-owner", community_id="xinran", source_event_id="seed-code-owner", reason="wish_fulfilled", points=80)
        session.commit()
    item_id = wishes.post("/communities/xinran/rewards", json={"name": "毛巾", "points": 20, "stock": 3}, headers=STAFF).json()["id"]
    owner, other = bearer("resident", "m-code-owner", community_id="xinran"), bearer("resident", "m-code-other", community_id="xinran")
    code = wishes.post(f"/rewards/{item_id}/redeem", headers=owner).json()["code"]
    assert [r["code"] for r in wishes.get("/me/redemptions", headers=owner).json()] == [code]
    assert wishes.get("/me/redemptions", headers=other).json() == []

    for method, path, body in (
        ("GET", "/communities/xinran/rewards", None), ("GET", "/communities/xinran/redemptions", None),
        ("PATCH", f"/rewards/{item_id}", {"stock": 9}), ("POST", "/communities/xinran/redemptions/collect", {"code": code}),
    ):
        assert wishes.request(method, path, json=body, headers=OTHER_STAFF).status_code == 403, (method, path)
    pending = wishes.get("/communities/xinran/redemptions", params={"status": "pending_pickup"}, headers=STAFF).json()
    assert [(r["item_name"], r["code"]) for r in pending] == [("毛巾", None)] and "m-code-owner" not in str(pending)
    assert wishes.patch(f"/rewards/{item_id}", json={"stock": 9}, headers=STAFF).json()["stock"] == 9
    assert wishes.post("/communities/xinran/redemptions/collect", json={"code": code}, headers=STAFF).json()["status"] == "collected"
    assert [r["code"] for r in wishes.get("/me/redemptions", headers=owner).json()] == [None]
