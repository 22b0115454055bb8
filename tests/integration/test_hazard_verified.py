"""隐患随手拍 confirmed on PostgreSQL and Kafka: a resident files a hazard through intake; another community's staff
cannot confirm it, a problem ticket cannot be confirmed as a hazard, the community's staff confirm it once (409
again), the resident's story says 隐患已核实, and the resident is credited the rules' points once, even when HazardVerified is delivered again."""
from __future__ import annotations

import asyncio
import uuid

from sqlmodel import Session, select

from libs.events import TICKETS
from libs.messaging import OutboxMessage
from tests.integration.conftest import bearer, eventually
from tests.integration.redeliver import redeliver

RESIDENT = bearer("resident", "m-hazard-it", community_id="xinran")
STAFF = bearer("community_staff", "s-hazard", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-hazard-other", community_id="shiliuqiao")


def _file(intake, kind: str) -> str:
    body = {"kind": kind, "title": "井盖缺失" if kind == "hazard" else "路灯不亮", "description": "3号楼门口", "category": "road",
            "community_id": "xinran"}
    made = intake.post("/tickets", json=body, headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_a_confirmed_hazard_credits_the_reporter_once(service_clients, kafka_bootstrap):
    intake, dispatch, wishes = service_clients["intake"], service_clients["dispatch"], service_clients["wishes"]
    hazard, problem = _file(intake, "hazard"), _file(intake, "problem")
    eventually(lambda: dispatch.get(f"/tickets/{hazard}", headers=STAFF).status_code == 200)
    eventually(lambda: dispatch.get(f"/tickets/{problem}", headers=STAFF).status_code == 200)

    assert dispatch.post(f"/tickets/{hazard}/verify-hazard", json={}, headers=OTHER_STAFF).status_code == 403
    assert dispatch.post(f"/tickets/{hazard}/verify-hazard", json={}, headers=RESIDENT).status_code == 403
    not_hazard = dispatch.post(f"/tickets/{problem}/verify-hazard", json={}, headers=STAFF)
    assert not_hazard.status_code == 409 and "只有隐患随手拍" in not_hazard.json()["detail"]
    done = dispatch.post(f"/tickets/{hazard}/verify-hazard", json={"note": "现场核实属实"}, headers=STAFF)
    assert done.status_code == 200 and done.json()["hazard_verified"] is True and done.json()["status"] == "filed"
    again = dispatch.post(f"/tickets/{hazard}/verify-hazard", headers=STAFF)
    assert again.status_code == 409 and "不能重复确认" in again.json()["detail"]

    def verified_line():
        lines = intake.get(f"/tickets/{hazard}", headers=RESIDENT).json()["timeline"]
        return next((line for line in lines if line["event_type"] == "HazardVerified"), None)

    line = eventually(verified_line)  # the resident's story says it, in the residents' words, not the staff's note
    assert "已核实" in line["note"] and "积分" in line["note"] and "现场核实属实" not in str(line)

    credited = eventually(lambda: (p := wishes.get("/me/points", headers=RESIDENT).json())["points"] and p)
    assert credited["points"] == 5 and [line["reason_zh"] for line in credited["lines"]] == ["隐患随手拍"]
    with Session(dispatch.app.state.runtime.engine) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.event_type == "HazardVerified", OutboxMessage.key == hazard)).one()
    asyncio.run(redeliver(kafka_bootstrap, row, topic=TICKETS, service="wishes"))
    assert wishes.get("/me/points", headers=RESIDENT).json()["points"] == 5

