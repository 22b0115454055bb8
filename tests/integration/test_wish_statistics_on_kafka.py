"""WishStatistics over Kafka: the wishes service reads its own WishPosted and WishApproved back from the `wishes`
topic, counts each once, and publishes the community's figures for the day (sent through the outbox relay)."""
from __future__ import annotations

import uuid

from sqlmodel import Session, select

from libs.events import decode_event
from libs.messaging import OutboxMessage
from tests.integration.conftest import bearer, eventually

RESIDENT = bearer("resident", "m-stats", community_id="jiamenkou")
STAFF = bearer("community_staff", "s-stats", community_id="jiamenkou")


def _figures(wishes) -> dict | None:
    with Session(wishes.app.state.runtime.engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.event_type == "WishStatistics", OutboxMessage.key == "jiamenkou",
                                                        OutboxMessage.sent_at.is_not(None)).order_by(OutboxMessage.id)).all()
    return decode_event(rows[-1].payload).model_dump() if rows else None


def test_the_communitys_figures_follow_its_wishes(service_clients):
    intake, wishes = service_clients["intake"], service_clients["wishes"]
    body = {"kind": "wish", "title": "想有人教我用智能手机", "description": "学会视频通话", "category": "other", "community_id": "jiamenkou"}
    made = intake.post("/tickets", json=body, headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    wish_id = made.json()["id"]
    eventually(lambda: wishes.get(f"/wishes/{wish_id}", headers=STAFF).status_code == 200)
    assert wishes.post(f"/wishes/{wish_id}/approve", json={}, headers=STAFF).status_code == 200
    figures = eventually(lambda: (f := _figures(wishes)) and f["approved"] >= 1 and f)
    assert (figures["posted"], figures["approved"], figures["open_now"]) == (1, 1, 1)
