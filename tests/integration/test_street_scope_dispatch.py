"""Street scope on dispatch and department (issue 12): a street's supervisor lists, reads and acts on the tickets of
their own street's communities and triage queue only — the console lists, a ticket, 疑似重复, 派单/即办/合并/分类, 吹哨报到,
挂起/恢复, 街道分拨 (queue and assignment), 延期申请 (list, grant, refuse) and the department worklist — and another
street's supervisor gets 403 (or nothing in a list) for each. Departments of a street serve only that street."""
from __future__ import annotations

import pytest

from tests.integration.street_scope_helpers import (
    ADMIN, LEADER_B, SUP_A, SUP_B, TIANXINGJIE, URBAN, XINGGONGYUAN, XINRAN, arrived, file, ids, ok,
)


@pytest.fixture(scope="module")
def tickets(service_clients) -> dict[str, str]:
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    made = {
        "a": file(intake, "xinran"),  # 长阳镇
        "b": file(intake, "xinggongyuan"),  # 拱辰街道
        "b_triage": file(intake, None, address="拱辰街道政府西侧路口"),  # nothing places it: the street its address names
    }
    arrived(dispatch, made["a"], XINRAN)
    arrived(dispatch, made["b"], XINGGONGYUAN)
    arrived(dispatch, made["b_triage"], SUP_B)
    return made


def test_console_lists_and_reads_hold_only_the_supervisors_street(service_clients, tickets):
    dispatch = service_clients["dispatch"]
    a, b = tickets["a"], tickets["b"]
    for tab in ("queue", "all"):
        mine = ids(dispatch.get("/tickets", params={"tab": tab, "limit": 500}, headers=SUP_B))
        theirs = ids(dispatch.get("/tickets", params={"tab": tab, "limit": 500}, headers=SUP_A))
        assert b in mine and a not in mine
        assert a in theirs and b not in theirs
    # Naming another street's community as the holder finds nothing either.
    assert a not in ids(dispatch.get("/tickets", params={"community_id": "xinran", "tab": "all"}, headers=SUP_B))
    counts = ok(dispatch.get("/tickets/counts", params={"community_id": "xinran"}, headers=SUP_B))
    assert set(counts.values()) == {0}
    for path in (f"/tickets/{a}", f"/tickets/{a}/duplicates", f"/duplicates?ticket_id={a}"):
        assert dispatch.get(path, headers=SUP_B).status_code == 403, path
        assert dispatch.get(path, headers=SUP_A).status_code == 200, path
    # Leaders and admins read the district.
    for headers in (LEADER_B, ADMIN):
        assert dispatch.get(f"/tickets/{a}", headers=headers).status_code == 200
        assert {a, b} <= ids(dispatch.get("/tickets", params={"tab": "all", "limit": 500}, headers=headers))


def test_suspend_and_resume_only_in_the_supervisors_street(service_clients, tickets):
    dispatch, a = service_clients["dispatch"], tickets["a"]
    refused = dispatch.post(f"/tickets/{a}/suspend", json={"reason": "等待产权单位答复"}, headers=SUP_B)
    assert refused.status_code == 403 and "street" in refused.json()["detail"]
    assert ok(dispatch.post(f"/tickets/{a}/suspend", json={"reason": "等待产权单位答复"}, headers=SUP_A))["suspended"] is True
    assert dispatch.post(f"/tickets/{a}/resume", json={"note": "已答复"}, headers=SUP_B).status_code == 403
    assert ok(dispatch.post(f"/tickets/{a}/resume", json={"note": "已答复"}, headers=SUP_A))["suspended"] is False


def test_triage_moves_by_a_supervisor_stay_in_their_street(service_clients, tickets):
    dispatch, a = service_clients["dispatch"], tickets["a"]
    for action, body in (("dispatch", {"department_id": "urban"}), ("settle", {"note": "已处理"}),
                         ("merge", {"into_ticket_id": tickets["b"]}), ("category", {"category": "garbage"}),
                         ("summons", {"lead_department_id": "urban", "co_department_ids": ["water"], "reason": "联合处置"})):
        refused = dispatch.post(f"/tickets/{a}/{action}", json=body, headers=SUP_B)
        assert refused.status_code == 403, (action, refused.text)
    assert ok(dispatch.get(f"/tickets/{a}", headers=XINRAN))["status"] == "filed"  # nothing moved


def test_each_street_has_its_own_triage_queue(service_clients, tickets):
    dispatch, triage = service_clients["dispatch"], tickets["b_triage"]
    waiting = ok(dispatch.get(f"/tickets/{triage}", headers=SUP_B))
    assert waiting["community_id"] == "street:gongchen"
    assert triage in ids(dispatch.get("/street-triage", headers=SUP_B))
    assert triage not in ids(dispatch.get("/street-triage", headers=SUP_A))
    assert dispatch.get(f"/tickets/{triage}", headers=SUP_A).status_code == 403
    stolen = dispatch.post(f"/tickets/{triage}/assign-community", json={"community_id": "xinran"}, headers=SUP_A)
    assert stolen.status_code == 403
    # Within the street only: another street's community is refused, naming it.
    across = dispatch.post(f"/tickets/{triage}/assign-community", json={"community_id": "xinran"}, headers=SUP_B)
    assert across.status_code == 422 and "another street" in across.json()["detail"]
    assigned = ok(dispatch.post(
        f"/tickets/{triage}/assign-community", json={"community_id": "tianxingjie", "grid_id": "tianxingjie-01"}, headers=SUP_B
    ))
    assert (assigned["community_id"], assigned["grid_id"]) == ("tianxingjie", "tianxingjie-01")
    assert triage in ids(dispatch.get("/tickets", params={"tab": "queue"}, headers=TIANXINGJIE))


def test_a_ticket_of_the_wrong_street_is_passed_to_that_streets_queue(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    misplaced = file(intake, None, address="长阳镇政府对面")  # 长阳镇 named: its queue
    arrived(dispatch, misplaced, SUP_A)
    assert ok(dispatch.get(f"/tickets/{misplaced}", headers=SUP_A))["community_id"] == "street:changyang"
    passed = ok(dispatch.post(f"/tickets/{misplaced}/assign-community", json={"community_id": "street:gongchen"}, headers=SUP_A))
    assert passed["community_id"] == "street:gongchen"
    assert misplaced in ids(dispatch.get("/street-triage", headers=SUP_B))
    assert dispatch.get(f"/tickets/{misplaced}", headers=SUP_A).status_code == 403


def test_street_departments_serve_their_own_street_only(service_clients, tickets):
    dispatch, intake = service_clients["dispatch"], service_clients["intake"]
    own = {d["id"] for d in ok(dispatch.get("/departments", headers=XINGGONGYUAN))}
    other = {d["id"] for d in ok(dispatch.get("/departments", headers=XINRAN))}
    assert "gongchen_enforcement" in own and "gongchen_enforcement" not in other and "urban" in own & other
    assert "gongchen_enforcement" not in {d["id"] for d in ok(dispatch.get("/departments", headers=SUP_A))}
    refused = dispatch.post(f"/tickets/{tickets['a']}/dispatch", json={"department_id": "gongchen_enforcement"}, headers=XINRAN)
    assert refused.status_code == 422 and "another street" in refused.json()["detail"]
    b2 = file(intake, "xiluyuan")
    arrived(dispatch, b2, SUP_B)
    sent = ok(dispatch.post(f"/tickets/{b2}/dispatch", json={"department_id": "gongchen_enforcement"}, headers=SUP_B))
    assert sent["department_id"] == "gongchen_enforcement"


def test_extension_requests_are_listed_and_decided_in_their_street_only(service_clients):
    intake, dispatch, department = (service_clients[s] for s in ("intake", "dispatch", "department"))
    made = {street: file(intake, community) for street, community in (("a", "xinran"), ("b", "tianxingjie"))}
    for street, staff in (("a", XINRAN), ("b", TIANXINGJIE)):
        arrived(dispatch, made[street], staff)
        ok(dispatch.post(f"/tickets/{made[street]}/dispatch", json={"department_id": "urban"}, headers=staff))
        arrived(department, made[street], URBAN)
        ok(department.post(f"/tickets/{made[street]}/accept", headers=URBAN))
        ok(department.post(f"/tickets/{made[street]}/extension", json={"amount": 2, "unit": "working_days", "reason": "等材料"},
                           headers=URBAN))

    def pending(headers):  # noqa: ANN001, ANN202
        return {e["ticket_id"]: e["request_event_id"] for e in ok(dispatch.get("/extensions", params={"limit": 500}, headers=headers))}

    requests = {**arrived_in(lambda: pending(SUP_A), made["a"]), **arrived_in(lambda: pending(SUP_B), made["b"])}
    assert made["b"] not in pending(SUP_A) and made["a"] not in pending(SUP_B)
    assert {made["a"], made["b"]} <= set(pending(ADMIN))
    for headers, ticket in ((SUP_B, made["a"]), (SUP_A, made["b"])):
        for decision, body in (("grant", {"note": "同意"}), ("refuse", {"note": "不同意"})):
            refused = dispatch.post(f"/extensions/{requests[ticket]}/{decision}", json=body, headers=headers)
            assert refused.status_code == 403, refused.text
    assert ok(dispatch.post(f"/extensions/{requests[made['a']]}/grant", json={"note": "同意"}, headers=SUP_A))["status"] == "granted"
    assert ok(dispatch.post(f"/extensions/{requests[made['b']]}/refuse", json={"note": "不同意"}, headers=SUP_B))["status"] == "refused"

    # The department worklist as a supervisor: their street's tickets only, another street's is 403.
    worklist_b = ids(department.get("/tickets", params={"department_id": "urban", "tab": "all", "limit": 500}, headers=SUP_B))
    assert made["b"] in worklist_b and made["a"] not in worklist_b
    assert department.get(f"/tickets/{made['a']}", headers=SUP_B).status_code == 403
    assert department.get(f"/tickets/{made['a']}", headers=SUP_A).status_code == 200
    assert department.get(f"/tickets/{made['a']}", headers=LEADER_B).status_code == 200


def arrived_in(probe, ticket_id: str) -> dict[str, str]:  # noqa: ANN001
    from tests.integration.conftest import eventually

    found = eventually(lambda: (rows := probe()).get(ticket_id) and rows)
    return {ticket_id: found[ticket_id]}
