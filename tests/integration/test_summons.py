"""吹哨报到 over HTTP on PostgreSQL and the real Kafka: the community summons a lead and co-departments (dispatch), each
summoned department finds its task on top of its list, checks in on site (late past the due time or beyond the radius),
completes; the lead's 办结 is a 409 naming the open co-tasks until they are done. Another community, another street,
another department and residents are refused."""
from __future__ import annotations

import time
import uuid
from datetime import datetime

from tests.integration.conftest import bearer, eventually

XINRAN = bearer("community_staff", "s-sm-xinran", community_id="xinran")
SHILIUQIAO = bearer("community_staff", "s-sm-shiliuqiao", community_id="shiliuqiao")
SUPERVISOR = bearer("supervisor", "sup-sm", street_id="changyang")
OTHER_STREET = bearer("supervisor", "sup-sm-other", street_id="another-street")
ADMIN = bearer("admin", "admin-sm")
DEPT = {d: bearer("department_staff", f"d-sm-{d}", department_id=d) for d in ("urban", "water", "housing", "police")}
PLACE = {"latitude": 39.7245, "longitude": 116.1432}  # 3号楼北侧
FAR = {"latitude": 39.7425, "longitude": 116.1432}  # about 2 km north


def file_ticket(service_clients, category: str = "road") -> str:
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    resident = bearer("resident", f"r-sm-{uuid.uuid4().hex[:8]}", community_id="xinran")
    filed = intake.post(
        "/tickets", headers={**resident, "Idempotency-Key": uuid.uuid4().hex},
        json={"title": "路面塌陷漏水", "description": "3号楼北侧路面塌陷，地下管道漏水", "category": category, "community_id": "xinran"},
    )
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).status_code == 200)
    return ticket_id


def accepted_by_urban(service_clients) -> str:
    dispatch, department = service_clients["dispatch"], service_clients["department"]
    ticket_id = file_ticket(service_clients)
    assert dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "urban"}, headers=XINRAN).status_code == 200
    eventually(lambda: department.get(f"/tickets/{ticket_id}", headers=DEPT["urban"]).status_code == 200)
    assert department.post(f"/tickets/{ticket_id}/accept", headers=DEPT["urban"]).status_code == 200
    return ticket_id


def summon(dispatch, ticket_id: str, headers=XINRAN, **body):  # noqa: ANN001, ANN201
    payload = {"lead_department_id": "urban", "co_department_ids": ["water", "housing"], "reason": "涉及多个部门，需现场联合处置"}
    return dispatch.post(f"/tickets/{ticket_id}/summons", json={**payload, **PLACE, **body}, headers=headers)


def task_of(department, summons_id: str, who: str) -> dict:  # noqa: ANN001
    return eventually(lambda: (r := department.get(f"/summons/{summons_id}", headers=DEPT[who])).status_code == 200 and r.json())


def test_only_the_tickets_community_and_its_streets_supervisor_summon_and_the_rules_are_named(service_clients):
    dispatch = service_clients["dispatch"]
    ticket_id = accepted_by_urban(service_clients)

    assert summon(dispatch, ticket_id, SHILIUQIAO).status_code == 403
    assert summon(dispatch, ticket_id, OTHER_STREET).status_code == 403
    assert summon(dispatch, ticket_id, bearer("resident", "r-sm-x", community_id="xinran")).status_code == 403
    assert summon(dispatch, ticket_id, DEPT["urban"]).status_code == 403
    assert summon(dispatch, "T-missing", XINRAN).status_code == 404
    unknown = summon(dispatch, ticket_id, co_department_ids=["water", "nowhere"])
    assert unknown.status_code == 422 and "co_department_ids" in unknown.json()["detail"]
    assert "co_department_ids" in summon(dispatch, ticket_id, co_department_ids=["urban"]).json()["detail"]
    assert summon(dispatch, ticket_id, co_department_ids=[]).status_code == 422
    other_lead = summon(dispatch, ticket_id, lead_department_id="water", co_department_ids=["housing"])
    assert other_lead.status_code == 409 and "城市管理委员会" in other_lead.json()["detail"]

    answer = summon(dispatch, ticket_id, SUPERVISOR)  # the street's supervisor may blow the whistle too
    assert answer.status_code == 200, answer.text
    (summons,) = answer.json()["summons"]
    assert (summons["lead_department_id"], summons["open"]) == ("urban", True)
    assert [d["department_id"] for d in summons["departments"]] == ["urban", "water", "housing"]
    again = summon(dispatch, ticket_id)
    assert again.status_code == 409 and "水务局" in again.json()["detail"]


def test_departments_check_in_and_complete_their_own_tasks_and_the_lead_resolves_last(service_clients):
    dispatch, department = service_clients["dispatch"], service_clients["department"]
    ticket_id = accepted_by_urban(service_clients)
    answer = summon(dispatch, ticket_id)
    assert answer.status_code == 200, answer.text
    sid = answer.json()["summons"][0]["summons_id"]

    water = task_of(department, sid, "water")
    assert (water["role"], water["ticket_id"], water["open"]) == ("co", ticket_id, True)
    assert 0 < water["seconds_to_on_site_due"] <= 30 * 60  # the policy's joint_on_site: 30 minutes
    listed = department.get("/summons", headers=DEPT["water"]).json()
    assert sid in [t["summons_id"] for t in listed]
    # police was not summoned: nothing to see, check in or complete
    assert department.get(f"/summons/{sid}", headers=DEPT["police"]).status_code == 404
    assert department.post(f"/summons/{sid}/check-in", json=PLACE, headers=DEPT["police"]).status_code == 404
    assert department.post(f"/summons/{sid}/complete", json={"note": "代为完成"}, headers=DEPT["police"]).status_code == 404
    assert sid not in [t["summons_id"] for t in department.get("/summons", headers=DEPT["police"]).json()]
    assert department.post(f"/summons/{sid}/check-in", json=PLACE, headers=XINRAN).status_code == 403

    assert department.post(f"/summons/{sid}/complete", json={"note": "已完成"}, headers=DEPT["water"]).status_code == 409
    no_place = department.post(f"/summons/{sid}/check-in", json={}, headers=DEPT["water"])
    assert no_place.status_code == 422 and "note" in no_place.json()["detail"]
    on_time = department.post(f"/summons/{sid}/check-in", json=PLACE, headers=DEPT["water"])
    assert on_time.status_code == 200, on_time.text
    assert (on_time.json()["late"], on_time.json()["distance_m"], on_time.json()["checked_in_by"]) == (False, 0.0, "d-sm-water")
    assert department.post(f"/summons/{sid}/check-in", json=PLACE, headers=DEPT["water"]).status_code == 409
    far = department.post(f"/summons/{sid}/check-in", json=FAR, headers=DEPT["housing"]).json()
    assert far["late"] is True and 1900 < far["distance_m"] < 2100  # beyond DEPARTMENT_CHECKIN_RADIUS_M (500 m)
    by_note = department.post(f"/summons/{sid}/check-in", json={"note": "定位失败，已到3号楼北侧"}, headers=DEPT["urban"]).json()
    assert (by_note["late"], by_note["distance_m"], by_note["check_in_note"]) == (False, None, "定位失败，已到3号楼北侧")

    refused = department.post(f"/tickets/{ticket_id}/resolve", json={"note": "已修复路面"}, headers=DEPT["urban"])
    assert refused.status_code == 409
    assert "水务局" in refused.json()["detail"] and "住房和城乡建设委员会" in refused.json()["detail"]
    assert department.post(f"/summons/{sid}/complete", json={"note": "牵头完成"}, headers=DEPT["urban"]).status_code == 409
    done = department.post(f"/summons/{sid}/complete", json={"note": "已关阀抢修管道"}, headers=DEPT["water"])
    assert done.status_code == 200 and done.json()["completed_by"] == "d-sm-water"
    still = department.post(f"/tickets/{ticket_id}/resolve", json={"note": "已修复路面"}, headers=DEPT["urban"])
    assert still.status_code == 409 and "水务局" not in still.json()["detail"] and "住房和城乡建设委员会" in still.json()["detail"]
    assert department.post(f"/summons/{sid}/complete", json={"note": "已加固路基"}, headers=DEPT["housing"]).status_code == 200

    resolved = department.post(f"/tickets/{ticket_id}/resolve", json={"note": "已修复路面"}, headers=DEPT["urban"])
    assert resolved.status_code == 200, resolved.text
    assert sid not in [t["summons_id"] for t in department.get("/summons", headers=DEPT["water"]).json()]
    ended = department.post(f"/summons/{sid}/check-in", json=PLACE, headers=DEPT["housing"])
    assert ended.status_code == 409

    def console_shows_everyone() -> dict | None:
        (s,) = dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).json()["summons"]
        return s if not s["open"] and all(d["checked_in_at"] for d in s["departments"]) else None

    shown = {d["department_id"]: d for d in eventually(console_shows_everyone)["departments"]}
    assert (shown["housing"]["late"], shown["water"]["late"]) == (True, False)
    assert shown["water"]["completed_at"] and shown["housing"]["completed_at"]


def test_a_summons_on_a_ticket_the_community_holds_dispatches_it_to_the_lead(service_clients):
    dispatch, department = service_clients["dispatch"], service_clients["department"]
    ticket_id = file_ticket(service_clients)  # road: proposed department urban
    answer = summon(dispatch, ticket_id, lead_department_id=None, co_department_ids=["water"], latitude=None, longitude=None)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["department_id"], body["summons"][0]["lead_department_id"]) == ("dispatched", "urban", "urban")

    held = eventually(lambda: (r := department.get(f"/tickets/{ticket_id}", headers=DEPT["urban"])).status_code == 200 and r.json())
    assert held["dispatch_note"].startswith("吹哨报到")
    sid = body["summons"][0]["summons_id"]
    lead = task_of(department, sid, "urban")
    assert (lead["role"], lead["latitude"]) == ("lead", None)  # the ticket had no position: distance is not judged
    checked = department.post(f"/summons/{sid}/check-in", json=FAR, headers=DEPT["urban"]).json()
    assert (checked["distance_m"], checked["late"]) == (None, False)


def test_a_check_in_after_the_on_site_due_time_is_late(service_clients):
    span = {"amount": 1, "unit": "seconds"}  # the policy's joint_on_site, published for this test and restored after
    dispatch, department = service_clients["dispatch"], service_clients["department"]
    current = dispatch.get("/admin/sla-policy", headers=ADMIN).json()
    document = {**current["document"], "version": current["version"] + 1, "joint_on_site": span}
    assert dispatch.put("/admin/sla-policy", json=document, headers=ADMIN).status_code == 200
    try:
        ticket_id = accepted_by_urban(service_clients)
        sid = summon(dispatch, ticket_id, co_department_ids=["water"]).json()["summons"][0]["summons_id"]
        task = task_of(department, sid, "water")
        due = datetime.fromisoformat(task["on_site_due"])
        time.sleep(max(0.0, (due - datetime.now(due.tzinfo)).total_seconds()) + 0.1)  # wait the due time out, no race
        late = department.post(f"/summons/{sid}/check-in", json=PLACE, headers=DEPT["water"]).json()
        assert (late["late"], late["distance_m"]) == (True, 0.0)
    finally:
        restored = {**current["document"], "version": current["version"] + 2}
        assert dispatch.put("/admin/sla-policy", json=restored, headers=ADMIN).status_code == 200


def test_the_dashboard_counts_summonses_and_each_departments_on_time_check_ins_from_the_events(service_clients):
    dispatch, department, dashboard = (service_clients[s] for s in ("dispatch", "department", "dashboard"))
    leader = bearer("leader", "leader-sm", street_id="changyang")

    def stats(headers, **params) -> dict:  # noqa: ANN001
        answer = dashboard.get("/summons/stats", headers=headers, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def of(figures: dict, department_id: str) -> dict:
        return next((d for d in figures["departments"] if d["department_id"] == department_id), {"on_time": 0, "late": 0})

    before = stats(leader)
    ticket_id = accepted_by_urban(service_clients)
    sid = summon(dispatch, ticket_id).json()["summons"][0]["summons_id"]
    task_of(department, sid, "housing")
    assert department.post(f"/summons/{sid}/check-in", json=PLACE, headers=DEPT["water"]).status_code == 200
    assert department.post(f"/summons/{sid}/check-in", json=FAR, headers=DEPT["housing"]).status_code == 200

    after = eventually(
        lambda: (s := stats(leader))["summonses"] == before["summonses"] + 1
        and of(s, "housing")["late"] == of(before, "housing")["late"] + 1
        and of(s, "water")["on_time"] == of(before, "water")["on_time"] + 1 and s
    )
    water = of(after, "water")
    assert water["name"] == "水务局" and 0 < water["on_time_rate"] <= 1
    assert stats(leader, community_id="shiliuqiao")["summonses"] == 0
    assert stats(SHILIUQIAO)["summonses"] == 0  # another community's staff see only their own community
    assert stats(XINRAN)["summonses"] == after["summonses"]
    assert [d["department_id"] for d in stats(DEPT["water"])["departments"]] == ["water"]  # a department: its own row

    from services.dashboard.access import Visibility  # the read model's own query, as of a later moment
    from services.dashboard.summons import summons_stats

    later = dashboard.app.state.runtime.read(
        summons_stats, seen=Visibility(everything=True), now=datetime.fromisoformat("2100-01-01T00:00:00+00:00")
    )
    urban = next(d for d in later.departments if d.department_id == "urban")
    assert urban.missed >= 1  # this summons' lead never checked in: missed once its due time passed
