"""The community console's and the department worklist's lists on PostgreSQL: tabs with counts, filters, sort by
deadline, paging with the whole count, search by number, phone suffix, address and text, the time left of each
running stage; another community's or department's staff neither list nor find a ticket, and naming another holder
is refused. Deadlines arrive as the workflow's StageDeadlineSet, handed to each service's own consumer."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from libs.events import Actor, StageDeadlineSet
from libs.sla.calendar import BEIJING
from services.department.consumers import on_deadline
from services.dispatch.consumers import on_ticket_event
from tests.integration.conftest import bearer, eventually

RESIDENT = bearer("resident", "r-lists", community_id="xinran")
XINRAN = bearer("community_staff", "s-lists", community_id="xinran")
SHILIUQIAO = bearer("community_staff", "s-lists-other", community_id="shiliuqiao")
URBAN = bearer("department_staff", "d-lists", department_id="urban")
WATER = bearer("department_staff", "d-lists-other", department_id="water")
LEADER = bearer("leader", "l-lists")
WORKFLOW = Actor(role="system", id="ticket-workflow")
SUFFIX = str(4000 + uuid.uuid4().int % 5000)  # the phones' last four digits, unlikely in any other test's data


def file(intake, community_id: str, phone: str, **changes) -> str:
    body = {"title": "楼道灯不亮", "description": "2号楼3单元楼道灯坏了一周", "category": "road", "community_id": community_id,
            "contact_phone": phone, "contact_name": "周先生", **changes}
    made = intake.post("/tickets", json=body, headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [t["id"] for t in answer.json()]


def deadline_set(client, handler, ticket_id: str, stage: str, due: datetime, **scope) -> None:
    """What the ticket's workflow would publish, handed to the service's consumer in one transaction."""
    event = StageDeadlineSet(ticket_id=ticket_id, actor=WORKFLOW, stage=stage, deadline=due, warn_at=due - timedelta(hours=1), **scope)
    client.app.state.runtime.run(handler, event=event)


@pytest.fixture(scope="module")
def filed(service_clients):
    """Two xinran tickets (one overdue to dispatch, one due in five days) and a shiliuqiao one with the same suffix."""
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    late = file(intake, "xinran", f"1391234{SUFFIX}", address="馨然嘉园北门外人行道")
    later = file(intake, "xinran", "13800001111", category="garbage", title="垃圾桶满溢", description="东门垃圾桶三天未清运")
    other = file(intake, "shiliuqiao", f"1367654{SUFFIX}")
    for ticket_id, staff in ((late, XINRAN), (later, XINRAN), (other, SHILIUQIAO)):
        eventually(lambda t=ticket_id, h=staff: dispatch.get(f"/tickets/{t}", headers=h).status_code == 200)
    now = datetime.now(timezone.utc)
    deadline_set(dispatch, on_ticket_event, late, "dispatch", now - timedelta(hours=2), community_id="xinran")
    deadline_set(dispatch, on_ticket_event, later, "dispatch", now + timedelta(days=5), community_id="xinran")
    return {"late": late, "later": later, "other": other}


def test_the_console_searches_its_own_community_by_phone_suffix_number_address_and_text(service_clients, filed):
    dispatch = service_clients["dispatch"]
    assert ids(dispatch.get("/tickets", params={"q": SUFFIX}, headers=XINRAN)) == [filed["late"]]
    assert ids(dispatch.get("/tickets", params={"q": f"1391234{SUFFIX}"}, headers=XINRAN)) == [filed["late"]]
    assert ids(dispatch.get("/tickets", params={"q": SUFFIX}, headers=SHILIUQIAO)) == [filed["other"]]
    assert ids(dispatch.get("/tickets", params={"q": filed["later"][-6:].lower()}, headers=XINRAN)) == [filed["later"]]
    assert ids(dispatch.get("/tickets", params={"q": "北门外"}, headers=XINRAN)) == [filed["late"]]
    assert ids(dispatch.get("/tickets", params={"q": "三天未清运"}, headers=XINRAN)) == [filed["later"]]
    assert ids(dispatch.get("/tickets", params={"q": filed["later"]}, headers=SHILIUQIAO)) == []  # not theirs
    assert ids(dispatch.get("/tickets", params={"q": "100%_"}, headers=XINRAN)) == []  # wildcards are plain text
    refused = dispatch.get("/tickets", params={"q": SUFFIX, "community_id": "xinran"}, headers=SHILIUQIAO)
    assert refused.status_code == 403
    assert dispatch.get("/tickets/counts", params={"community_id": "xinran"}, headers=SHILIUQIAO).status_code == 403
    everywhere = ids(dispatch.get("/tickets", params={"q": SUFFIX, "tab": "all"}, headers=LEADER))
    assert {filed["late"], filed["other"]} <= set(everywhere)


def test_the_console_filters_sorts_by_deadline_and_shows_the_time_left(service_clients, filed):
    dispatch = service_clients["dispatch"]
    mine = {filed["late"], filed["later"]}
    by_due = [i for i in ids(dispatch.get("/tickets", params={"sort": "due"}, headers=XINRAN)) if i in mine]
    assert by_due == [filed["late"], filed["later"]]
    newest = [i for i in ids(dispatch.get("/tickets", params={"sort": "newest"}, headers=XINRAN)) if i in mine]
    assert newest == [filed["later"], filed["late"]]
    overdue = ids(dispatch.get("/tickets", params={"overdue": "true"}, headers=XINRAN))
    assert filed["late"] in overdue and filed["later"] not in overdue
    assert filed["later"] in ids(dispatch.get("/tickets", params={"overdue": "false"}, headers=XINRAN))
    garbage = ids(dispatch.get("/tickets", params={"category": "garbage"}, headers=XINRAN))
    assert filed["later"] in garbage and filed["late"] not in garbage
    today = datetime.now(BEIJING).date()
    assert mine <= set(ids(dispatch.get("/tickets", params={"date_from": str(today), "date_to": str(today)}, headers=XINRAN)))
    assert not mine & set(ids(dispatch.get("/tickets", params={"date_to": str(today - timedelta(days=1))}, headers=XINRAN)))
    assert not mine & set(ids(dispatch.get("/tickets", params={"reopened": "true"}, headers=XINRAN)))

    late = dispatch.get(f"/tickets/{filed['late']}", headers=XINRAN).json()
    (stage,) = late["deadlines"]
    assert (stage["stage"], stage["state"], late["deadline_state"]) == ("dispatch", "overdue", "overdue")
    assert stage["time_left"].startswith("已超时") and stage["working_seconds_left"] <= 0
    assert "月" in stage["due_text"] and "日" in stage["due_text"]
    later = dispatch.get(f"/tickets/{filed['later']}", headers=XINRAN).json()
    assert later["deadlines"][0]["state"] == "running" and later["deadlines"][0]["time_left"].startswith("剩余")
    assert later["deadlines"][0]["working_seconds_left"] > 0


def test_the_console_pages_with_the_whole_count_and_refuses_unknown_tabs_and_orders(service_clients, filed):
    dispatch = service_clients["dispatch"]
    first = dispatch.get("/tickets", params={"limit": 1, "sort": "filed"}, headers=XINRAN)
    total = int(first.headers["X-Total-Count"])
    assert total >= 2 and len(first.json()) == 1
    second = dispatch.get("/tickets", params={"limit": 1, "offset": 1, "sort": "filed"}, headers=XINRAN)
    assert ids(second) != ids(first) and int(second.headers["X-Total-Count"]) == total
    for bad in ({"tab": "todo"}, {"sort": "random"}, {"date_from": "27.11.2026"}, {"q": "x" * 101}, {"overdue": "maybe"}):
        answer = dispatch.get("/tickets", params=bad, headers=XINRAN)
        assert answer.status_code == 422, (bad, answer.text)
        assert next(iter(bad)) in answer.text
    assert dispatch.get("/tickets", params={"q": SUFFIX}).status_code == 401


def test_the_console_and_the_worklist_count_each_tab_and_keep_finished_and_returned_work(service_clients, filed):
    dispatch, department = service_clients["dispatch"], service_clients["department"]
    before = dispatch.get("/tickets/counts", headers=XINRAN).json()
    assert set(before) == {"queue", "handling", "done", "returned", "all"} and before["queue"] >= 2
    late, later = filed["late"], filed["later"]
    for ticket_id in (late, later):
        assert dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "urban"}, headers=XINRAN).status_code == 200
        eventually(lambda t=ticket_id: department.get(f"/tickets/{t}", headers=URBAN).status_code == 200)
    after = dispatch.get("/tickets/counts", headers=XINRAN).json()
    assert (after["queue"], after["handling"]) == (before["queue"] - 2, before["handling"] + 2)
    assert dispatch.get("/tickets/counts", params={"q": SUFFIX}, headers=XINRAN).json()["handling"] == 1

    # the department: its own deadline and time left; the same search finds it for urban only
    now = datetime.now(timezone.utc)
    deadline_set(department, on_deadline, late, "resolve", now + timedelta(days=3), department_id="urban")
    assert ids(department.get("/tickets", params={"q": SUFFIX}, headers=URBAN)) == [late]
    assert ids(department.get("/tickets", params={"q": SUFFIX}, headers=WATER)) == []
    assert department.get("/tickets", params={"department_id": "urban"}, headers=WATER).status_code == 403
    assert department.get(f"/tickets/{late}", headers=WATER).status_code == 404
    shown = department.get(f"/tickets/{late}", headers=URBAN).json()
    resolve = next(d for d in shown["deadlines"] if d["stage"] == "resolve")
    assert resolve["state"] == "running" and resolve["time_left"].startswith("剩余") and resolve["due_text"]

    # resolved work moves to 办结, returned work to 已退单 (department) and 已退单 (community): nothing is gone
    assert department.post(f"/tickets/{late}/accept", headers=URBAN).status_code == 200
    assert department.post(f"/tickets/{late}/resolve", json={"note": "已更换灯泡"}, headers=URBAN).status_code == 200
    assert department.post(f"/tickets/{later}/return", json={"reason": "属环卫所，请改派"}, headers=URBAN).status_code == 200
    assert late not in ids(department.get("/tickets", headers=URBAN))
    assert late in ids(department.get("/tickets", params={"tab": "done"}, headers=URBAN))
    assert later in ids(department.get("/tickets", params={"tab": "returned"}, headers=URBAN))
    assert {late, later} <= set(ids(department.get("/tickets", params={"tab": "all"}, headers=URBAN)))
    counts = department.get("/tickets/counts", params={"q": SUFFIX}, headers=URBAN).json()
    assert counts == {"todo": 0, "done": 1, "returned": 0, "all": 1}
    assert department.get("/tickets/counts", params={"q": SUFFIX}, headers=WATER).json()["all"] == 0
    eventually(lambda: later in ids(dispatch.get("/tickets", params={"tab": "returned"}, headers=XINRAN)))
    eventually(lambda: late in ids(dispatch.get("/tickets", params={"tab": "done"}, headers=XINRAN)))
    assert later not in ids(dispatch.get("/tickets", params={"tab": "returned"}, headers=SHILIUQIAO))

