"""三张清单 on PostgreSQL and Kafka: ten volunteers race for three places (exactly three get one), another
community's staff and volunteers are refused everywhere, and a confirmed attendance credits hours and points once
even when its event is delivered again."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from libs.events.topics import WISHES
from libs.messaging import OutboxMessage
from tests.integration.conftest import bearer, eventually
from tests.integration.redeliver import redeliver
from tests.integration.test_wishes_service import volunteer

STAFF = bearer("community_staff", "s-projects", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-projects-other", community_id="shiliuqiao")


def _project(wishes, capacity: int) -> str:
    now = datetime.now(timezone.utc)
    body = {"title": "为老人义剪", "place": "馨然嘉园党群服务中心", "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=1)).isoformat(), "capacity": capacity, "hours": 2}
    assert wishes.post("/communities/xinran/projects", json=body, headers=OTHER_STAFF).status_code == 403
    made = wishes.post("/communities/xinran/projects", json=body, headers=STAFF)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_a_race_for_three_places_and_attendance_credited_once(service_clients, kafka_bootstrap):
    wishes = service_clients["wishes"]
    project_id = _project(wishes, capacity=3)
    people = [volunteer(wishes, f"vol-proj-{i}", name=f"赵{i}") for i in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda token: wishes.post(f"/projects/{project_id}/signup", headers=token), people))
    assert sorted(a.status_code for a in answers) == [200] * 3 + [409] * 7, [a.text for a in answers]
    assert all("名额已满" in a.json()["detail"] for a in answers if a.status_code == 409)
    outsider = volunteer(wishes, "vol-proj-far", community="shiliuqiao", name="孙远")
    assert wishes.post(f"/projects/{project_id}/signup", headers=outsider).status_code == 403

    listed = wishes.get("/communities/xinran/projects", headers=STAFF).json()
    (project,) = [p for p in listed if p["id"] == project_id]
    assert project["taken"] == 3 and len(project["signups"]) == 3
    assert wishes.get("/communities/xinran/projects", headers=OTHER_STAFF).status_code == 403
    public = wishes.get("/public/communities/xinran/lists").json()
    assert project_id in [p["id"] for p in public["projects"]] and "vol-proj" not in str(public)

    signup = project["signups"][0]
    assert wishes.post(f"/projects/{project_id}/signups/{signup['id']}/attended", headers=OTHER_STAFF).status_code == 403
    assert wishes.post(f"/projects/{project_id}/signups/{signup['id']}/attended", headers=STAFF).status_code == 200
    again = wishes.post(f"/projects/{project_id}/signups/{signup['id']}/attended", headers=STAFF)
    assert again.status_code == 409 and "不能重复确认" in again.json()["detail"]

    attendee = next(t for t, a in zip(people, answers) if a.status_code == 200 and _signup_of(wishes, t, project_id) == signup["id"])
    credited = eventually(lambda: (p := wishes.get("/me/points", headers=attendee).json())["points"] and p)
    assert (credited["points"], credited["minutes"]) == (5 + 5 * 2, 120)
    with Session(wishes.app.state.runtime.engine) as session:
        row = session.exec(select(OutboxMessage).where(
            OutboxMessage.event_type == "ProjectAttendanceConfirmed", OutboxMessage.key == project_id)).one()
    asyncio.run(redeliver(kafka_bootstrap, row, topic=WISHES, service="wishes"))
    after = wishes.get("/me/points", headers=attendee).json()
    assert (after["points"], after["minutes"], len(after["lines"])) == (15, 120, 1)


def _signup_of(wishes, token, project_id: str) -> str | None:
    mine = [p for p in wishes.get("/me/projects", headers=token).json() if p["id"] == project_id]
    return mine[0]["my_signup"]["id"] if mine and mine[0]["my_signup"] else None
