"""The wish service on PostgreSQL and Kafka: a wish filed through intake's web channel reaches the wall through the
consumer, concurrent claims leave exactly one claimant, and every endpoint refuses another community's people."""
from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from libs.events.topics import WISHES
from libs.messaging import OutboxMessage
from tests.integration.conftest import bearer, eventually
from tests.integration.redeliver import redeliver

WISHER = bearer("resident", "m-wish-resident", community_id="xinran")
STAFF = bearer("community_staff", "s-wish", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-wish-other", community_id="shiliuqiao")
PHONE = "13912345678"


def volunteer(wishes, sub: str, community: str = "xinran", name: str = "王志强") -> dict[str, str]:
    """A volunteer who reported to `community` and was confirmed there."""
    token = bearer("volunteer", sub, community_id=community)
    body = {"community_id": community, "name": name, "party_member": True, "work_unit": "区卫健委", "skills": ["陪诊"]}
    assert wishes.put("/volunteers/me", json=body, headers=token).status_code == 200
    staff = bearer("community_staff", f"s-{community}", community_id=community)
    assert wishes.post(f"/volunteers/{sub}/confirm", headers=staff).status_code == 200
    return token


def file_wish(intake, wishes, title: str = "想请人陪我去医院复查") -> str:
    body = {
        "kind": "wish", "title": title, "description": f"腿脚不便，联系电话{PHONE}", "category": "other",
        "community_id": "xinran", "contact_phone": PHONE, "contact_name": "张秀兰",
    }
    filed = intake.post("/tickets", json=body, headers={**WISHER, "Idempotency-Key": uuid.uuid4().hex})
    assert filed.status_code == 201, filed.text
    wish_id = filed.json()["id"]
    eventually(lambda: wishes.get(f"/wishes/{wish_id}", headers=STAFF).status_code == 200)
    return wish_id


def test_a_web_wish_is_reviewed_claimed_once_under_a_race_fulfilled_and_confirmed(service_clients):
    intake, wishes = service_clients["intake"], service_clients["wishes"]
    wish_id = file_wish(intake, wishes)
    queue = wishes.get("/communities/xinran/wishes", headers=STAFF).json()
    assert wish_id in [w["id"] for w in queue]
    assert wish_id not in wishes.get("/public/communities/xinran/wall").text  # not before the review

    approved = wishes.post(f"/wishes/{wish_id}/approve", json={"estimated_hours": 3}, headers=STAFF)
    assert approved.status_code == 200 and approved.json()["status"] == "open"
    wall = wishes.get("/public/communities/xinran/wall").text  # no login
    assert wish_id in wall and PHONE not in wall and "张秀兰" not in wall and "m-wish-resident" not in wall

    claimants = [volunteer(wishes, f"vol-race-{i}", name=f"志愿者{i}") for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda token: wishes.post(f"/wishes/{wish_id}/claim", headers=token), claimants))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * 7, [a.text for a in answers]
    assert all("已被认领" in a.json()["detail"] for a in answers if a.status_code == 409)
    winner = claimants[[a.status_code for a in answers].index(200)]

    loser = claimants[[a.status_code for a in answers].index(409)]
    refused = wishes.post(f"/wishes/{wish_id}/fulfil", json={"note": "做完了", "hours": 1}, headers=loser)
    assert refused.status_code == 409 and "不是您认领的" in refused.json()["detail"]
    bad_photo = wishes.post(f"/wishes/{wish_id}/fulfil", json={"note": "做完了", "hours": 1, "photos": ["http://x/y.jpg"]}, headers=winner)
    assert bad_photo.status_code == 422 and "photos" in bad_photo.text
    done = wishes.post(
        f"/wishes/{wish_id}/fulfil", json={"note": "陪同复查并送回家", "hours": 2.5, "photos": ["/attachments/abc123.jpg"]},
        headers=winner,
    )
    assert done.status_code == 200 and done.json()["status"] == "fulfilled"
    confirmed = wishes.post(f"/wishes/{wish_id}/confirm", json={"thanks_note": "谢谢！"}, headers=WISHER)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    again = wishes.post(f"/wishes/{wish_id}/confirm", json={}, headers=WISHER)
    assert again.status_code == 409 and "不能重复确认" in again.json()["detail"]
    shown = wishes.get("/public/communities/xinran/wall", params={"status": "confirmed"}).json()
    assert [(w["id"], w["thanks_note"]) for w in shown if w["id"] == wish_id] == [(wish_id, "谢谢！")]


def test_another_communitys_staff_and_volunteers_are_refused_on_every_endpoint(service_clients):
    intake, wishes = service_clients["intake"], service_clients["wishes"]
    wish_id = file_wish(intake, wishes, title="想学用智能手机")
    outsider = volunteer(wishes, "vol-outsider", community="shiliuqiao", name="陈刚")
    assert wishes.get(f"/wishes/{wish_id}", headers=OTHER_STAFF).status_code == 404
    assert wishes.get("/communities/xinran/wishes", headers=OTHER_STAFF).status_code == 403
    assert wishes.get("/communities/xinran/volunteers", headers=OTHER_STAFF).status_code == 403
    for action, body in (("approve", {}), ("decline", {"reason": "不属于本社区"})):
        assert wishes.post(f"/wishes/{wish_id}/{action}", json=body, headers=OTHER_STAFF).status_code == 403
    assert wishes.post(f"/wishes/{wish_id}/approve", json={}, headers=outsider).status_code == 403  # role
    assert wishes.post(f"/wishes/{wish_id}/approve", json={}, headers=STAFF).status_code == 200
    refused = wishes.post(f"/wishes/{wish_id}/claim", headers=outsider)
    assert refused.status_code == 403 and "报到社区" in refused.json()["detail"]
    assert wishes.post(f"/wishes/{wish_id}/claim", headers=WISHER).status_code == 403  # a resident is no claimant
    insider = volunteer(wishes, "vol-insider")
    assert wishes.post(f"/wishes/{wish_id}/claim", headers=insider).status_code == 200
    assert wishes.post(f"/wishes/{wish_id}/fulfil", json={"note": "好了", "hours": 1}, headers=insider).status_code == 200
    assert wishes.post(f"/wishes/{wish_id}/confirm", json={}, headers=OTHER_STAFF).status_code == 403
    stranger = bearer("resident", "m-stranger", community_id="xinran")
    assert wishes.post(f"/wishes/{wish_id}/confirm", json={}, headers=stranger).status_code == 403
    assert wishes.post(f"/wishes/{wish_id}/dispute", json={"reason": "没做"}, headers=OTHER_STAFF).status_code == 403
    assert wishes.post(f"/wishes/{wish_id}/reopen", headers=OTHER_STAFF).status_code == 403
    assert wishes.post(f"/volunteers/vol-insider/confirm", headers=OTHER_STAFF).status_code == 403
    assert wishes.get("/wishes/mine", headers=stranger).json() == []


def test_points_and_hours_are_credited_once_when_kafka_redelivers_the_confirmation(service_clients, kafka_bootstrap):
    intake, wishes = service_clients["intake"], service_clients["wishes"]
    helper = volunteer(wishes, "vol-points", name="孙丽")
    wish_id = file_wish(intake, wishes, title="想请人帮忙修收音机")
    assert wishes.post(f"/wishes/{wish_id}/approve", json={}, headers=STAFF).status_code == 200
    assert wishes.post(f"/wishes/{wish_id}/claim", headers=helper).status_code == 200
    assert wishes.post(f"/wishes/{wish_id}/fulfil", json={"note": "修好了", "hours": 2}, headers=helper).status_code == 200
    assert wishes.post(f"/wishes/{wish_id}/confirm", json={}, headers=WISHER).status_code == 200
    credited = eventually(lambda: (p := wishes.get("/me/points", headers=helper).json())["points"] and p)
    assert (credited["points"], credited["minutes"]) == (10 + 5 * 2, 120)

    with Session(wishes.app.state.runtime.engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.event_type == "WishConfirmed", OutboxMessage.key == wish_id)).one()
    asyncio.run(redeliver(kafka_bootstrap, row, topic=WISHES, service="wishes"))
    again = wishes.get("/me/points", headers=helper).json()
    assert (again["points"], again["minutes"], len(again["lines"])) == (20, 120, 1)
    board = wishes.get("/public/communities/xinran/points").json()
    assert {"name": "孙*", "party_member": True, "points": 20, "hours": 2.0, "unit": False} in board
    assert "vol-points" not in str(board)

