"""12345 hotline over HTTP: an operator files for a caller; TicketFiled is on the real Kafka with the caller's account as
reporter (never the number), the ticket reaches the community queue, the caller (signed in as the account their
number owns) sees it among their tickets and rates it once it is settled. The operator looks callers up (at most ten
tickets, newest first, nothing personal; the lookup logged without the number) and does nothing else: no lists, no
dispatch, no reveal. Nobody but an operator uses /hotline; an Idempotency-Key is the operator's own."""
from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from libs.pii import get_vault
from libs.settings import get_settings
from tests.integration.conftest import bearer, eventually
from tests.integration.test_privacy import _every_record_of_the_run, captured_logs  # noqa: F401 - fixture
from tests.integration.test_channel_sms import push, sms  # noqa: F401 - fixture (the recording SMS gateway)

OPERATOR = bearer("operator", "op-hotline-1", name="热线·何话务员")
OTHER_OPERATOR = bearer("operator", "op-hotline-2")
XINRAN = bearer("community_staff", "s-hotline", community_id="xinran")
SHILIUQIAO = bearer("community_staff", "s-hotline-2", community_id="shiliuqiao")
URBAN = bearer("department_staff", "d-hotline", department_id="urban")
ADMIN = bearer("admin", "a-hotline")
CALL = {"title": "楼道灯不亮", "description": "5号楼2单元楼道灯坏了一周，晚上老人上下楼不方便", "category": "property",
        "community_id": "xinran", "urgency": "ordinary"}


def phone() -> str:
    return "137" + str(uuid.uuid4().int)[:8]


def file(intake, caller: str, headers=OPERATOR, key: str | None = None, **changes):
    body = {**CALL, "caller_phone": caller, "caller_name": "何先生", **changes}
    return intake.post("/hotline/tickets", json=body, headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})


def filed(intake, caller: str, **changes) -> dict:
    made = file(intake, caller, **changes)
    assert made.status_code == 201, made.text
    return made.json()


def lookup(intake, number: str, headers=OPERATOR):
    return intake.get("/hotline/callers/tickets", params={"phone": number}, headers=headers)


def ticket_filed_records(ticket_id: str) -> list[dict]:
    records = asyncio.run(_every_record_of_the_run())  # every topic of this run, read to its end
    assert f"{get_settings().topic_prefix}tickets".encode() in records
    found = []
    for raw in records:
        if raw.startswith(b"{") and ticket_id.encode() in raw:
            event = json.loads(raw)
            if event.get("type") == "TicketFiled" and event.get("ticket_id") == ticket_id:
                found.append(event)
    return found


def test_an_operators_filing_is_on_kafka_in_the_community_queue_and_the_callers_to_follow_and_rate(service_clients):
    intake, dispatch, feedback = (service_clients[s] for s in ("intake", "dispatch", "feedback"))
    caller = phone()
    ticket = filed(intake, caller)
    assert (ticket["channel"], ticket["community_id"], ticket["category"]) == ("hotline", "xinran", "property")
    assert ticket["reporter_phone_masked"] == f"{caller[:3]}****{caller[-4:]}"
    account = get_vault().resident_id(caller)

    in_queue = eventually(lambda: [t for t in dispatch.get("/tickets", headers=XINRAN).json() if t["id"] == ticket["id"]])
    assert in_queue[0]["channel"] == "hotline" and caller not in json.dumps(in_queue)
    assert all(t["id"] != ticket["id"] for t in dispatch.get("/tickets", headers=SHILIUQIAO).json())

    [event] = eventually(lambda: ticket_filed_records(ticket["id"]))
    assert (event["channel"], event["reporter_id"], event["actor"]) == (
        "hotline", account, {"role": "operator", "id": "op-hotline-1"}
    )
    assert caller not in json.dumps(event) and "何先生" not in json.dumps(event, ensure_ascii=False)

    # The caller signs in as the account their number owns: the ticket is theirs; another resident's list lacks it.
    resident = bearer("resident", account)
    assert [t["id"] for t in intake.get("/tickets/mine", headers=resident).json()] == [ticket["id"]]
    assert intake.get(f"/tickets/{ticket['id']}", headers=resident).status_code == 200
    stranger = bearer("resident", get_vault().resident_id(phone()))
    assert intake.get("/tickets/mine", headers=stranger).json() == []
    assert intake.get(f"/tickets/{ticket['id']}", headers=stranger).status_code in (403, 404)

    settled = dispatch.post(f"/tickets/{ticket['id']}/settle", json={"note": "物业已更换灯泡"}, headers=XINRAN)
    assert settled.status_code == 200, settled.text
    eventually(lambda: feedback.get(f"/tickets/{ticket['id']}", headers=resident).json().get("status") == "awaiting_rating")
    verdict = {"satisfaction": "satisfied", "solved": True, "comment": "热线反映后很快修好了"}
    assert feedback.post(f"/tickets/{ticket['id']}/rating", json=verdict, headers=stranger).status_code in (403, 404)
    assert feedback.post(f"/tickets/{ticket['id']}/rating", json=verdict, headers=OPERATOR).status_code == 403
    rated = feedback.post(f"/tickets/{ticket['id']}/rating", json=verdict, headers=resident)
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed"
    assert feedback.post(f"/tickets/{ticket['id']}/rating", json=verdict, headers=resident).status_code == 409


def test_the_caller_is_told_by_sms_when_it_is_settled_and_rates_it_by_replying_1(service_clients, sms):
    intake, gateway = sms
    dispatch, feedback = service_clients["dispatch"], service_clients["feedback"]
    caller = phone()
    ticket = filed(intake, caller)
    eventually(lambda: dispatch.get(f"/tickets/{ticket['id']}", headers=XINRAN).status_code == 200)
    assert dispatch.post(f"/tickets/{ticket['id']}/settle", json={"note": "物业已更换灯泡"}, headers=XINRAN).status_code == 200
    invite = eventually(lambda: [text for text in gateway.to(caller) if "请回复数字评价" in text])
    assert invite == [f"【居民吹哨】您反映的问题（工单号：{ticket['id']}）已办结：物业已更换灯泡。请回复数字评价：1 满意，2 基本满意，3 不满意。"]
    resident = bearer("resident", get_vault().resident_id(caller))
    eventually(lambda: feedback.get(f"/tickets/{ticket['id']}", headers=resident).json().get("status") == "awaiting_rating")
    rated = push(intake, caller, "1")
    assert rated.status_code == 200 and rated.json()["ticket_id"] == ticket["id"]
    after = feedback.get(f"/tickets/{ticket['id']}", headers=resident).json()
    assert (after["status"], after["closed_outcome"]) == ("closed", "rated")


def test_a_landline_caller_gets_no_text_and_an_anonymous_one_none_either(service_clients, sms):
    intake, gateway = sms
    dispatch = service_clients["dispatch"]
    landline, hidden = "010-6688" + str(uuid.uuid4().int)[:4], phone()
    tickets = [(filed(intake, landline), landline), (filed(intake, hidden, anonymous=True), hidden)]
    for ticket, caller in tickets:
        eventually(lambda: dispatch.get(f"/tickets/{ticket['id']}", headers=XINRAN).status_code == 200)
        assert dispatch.post(f"/tickets/{ticket['id']}/settle", json={"note": "已处理"}, headers=XINRAN).status_code == 200
        resident = bearer("resident", get_vault().resident_id(caller))
        # intake's view follows the settlement in the same transaction that would send the notice
        eventually(lambda: intake.get(f"/tickets/{ticket['id']}", headers=resident).json()["status"] == "settled_on_spot")
        assert gateway.to(caller) == []


def test_the_callers_tickets_are_a_summary_newest_first_without_anonymous_ones_and_the_lookup_logs_no_number(
    service_clients, captured_logs
):
    intake = service_clients["intake"]
    caller, neighbour = phone(), phone()
    first = filed(intake, caller, title="路面塌陷", category="road")
    second = filed(intake, caller, title="垃圾没人清", category="garbage", community_id="shiliuqiao")
    filed(intake, caller, title="匿名反映噪音", category="noise", anonymous=True)
    filed(intake, neighbour, title="邻居的事")
    own_web = intake.post(  # the caller, signed up, files on the web: theirs too
        "/tickets", json={"title": "想要一个便民座椅", "description": "小区门口等车没处坐", "category": "wish", "kind": "wish",
                          "community_id": "xinran"},
        headers={**bearer("resident", get_vault().resident_id(caller), community_id="xinran"), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert own_web.status_code == 201, own_web.text

    spelled = f"+86 {caller[:3]}-{caller[3:7]}-{caller[7:]}"
    found = lookup(intake, spelled)
    assert found.status_code == 200, found.text
    assert found.headers["cache-control"] == "no-store"
    rows = found.json()
    assert [r["id"] for r in rows] == [own_web.json()["id"], second["id"], first["id"]]
    assert set(rows[1]) == {"id", "title", "status", "status_label", "category", "community_id", "created_at"}
    assert (rows[1]["title"], rows[1]["category"], rows[1]["community_id"], rows[1]["status"]) == (
        "垃圾没人清", "garbage", "shiliuqiao", "filed"
    )
    assert rows[1]["status_label"]
    assert caller not in found.text and "何先生" not in found.text
    assert lookup(intake, phone()).json() == []

    logs = captured_logs.getvalue()
    assert "hotline_caller_lookup" in logs and "hotline_filed" in logs
    assert caller not in logs and caller[3:] not in logs and f"{caller[:3]}****{caller[-4:]}" in logs


def test_at_most_ten_of_the_callers_tickets_are_shown(service_clients):
    intake = service_clients["intake"]
    caller = phone()
    made = [filed(intake, caller, title=f"第{n}次来电")["id"] for n in range(11)]
    rows = lookup(intake, caller).json()
    assert len(rows) == 10 and made[0] not in {r["id"] for r in rows}
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)


@pytest.mark.parametrize("number", ["1371234", "137-1234-567", "abc"])
def test_a_number_shorter_than_eleven_digits_is_a_422_naming_phone(service_clients, number):
    answer = lookup(service_clients["intake"], number)
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("phone:")


def test_a_caller_number_too_short_to_file_is_a_422_naming_caller_phone_and_files_nothing(service_clients):
    intake = service_clients["intake"]
    answer = file(intake, "1371234")
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("caller_phone:")
    missing = intake.post("/hotline/tickets", json=CALL, headers={**OPERATOR, "Idempotency-Key": uuid.uuid4().hex})
    assert missing.status_code == 422 and "caller_phone" in missing.text


def test_an_anonymous_call_stores_no_name_or_number_but_stays_the_callers(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    caller = phone()
    ticket = filed(intake, caller, anonymous=True)
    assert ticket["anonymous"] and ticket["reporter_phone_masked"] is None
    seen = eventually(lambda: [t for t in dispatch.get("/tickets", headers=XINRAN).json() if t["id"] == ticket["id"]])
    assert seen[0]["reporter_phone_masked"] is None
    assert intake.post(f"/tickets/{ticket['id']}/contact/reveal", headers=XINRAN).status_code == 404
    mine = intake.get("/tickets/mine", headers=bearer("resident", get_vault().resident_id(caller))).json()
    assert [t["id"] for t in mine] == [ticket["id"]]


def test_an_operator_reads_no_list_dispatches_nothing_and_reveals_no_contact(service_clients):
    intake, dispatch, department, dashboard = (service_clients[s] for s in ("intake", "dispatch", "department", "dashboard"))
    ticket = filed(intake, phone())
    eventually(lambda: dispatch.get(f"/tickets/{ticket['id']}", headers=XINRAN).status_code == 200)
    tid = ticket["id"]
    refused = {
        "intake /tickets/mine": intake.get("/tickets/mine", headers=OPERATOR),
        "intake ticket": intake.get(f"/tickets/{tid}", headers=OPERATOR),
        "intake reveal": intake.post(f"/tickets/{tid}/contact/reveal", headers=OPERATOR),
        "intake web form": intake.post("/tickets", json={**CALL, "channel": "hotline"},
                                       headers={**OPERATOR, "Idempotency-Key": uuid.uuid4().hex}),
        "dispatch queue": dispatch.get("/tickets", headers=OPERATOR),
        "dispatch ticket": dispatch.get(f"/tickets/{tid}", headers=OPERATOR),
        "dispatch": dispatch.post(f"/tickets/{tid}/dispatch", json={"department_id": "urban"}, headers=OPERATOR),
        "settle": dispatch.post(f"/tickets/{tid}/settle", json={"note": "话务员代办"}, headers=OPERATOR),
        "department worklist": department.get("/tickets", headers=OPERATOR),
        "street triage": dispatch.get("/street-triage", headers=OPERATOR),
    }
    assert {name: r.status_code for name, r in refused.items()} == {name: 403 for name in refused}
    assert dashboard.get("/summary", headers=OPERATOR).status_code == 403
    assert dashboard.get("/escalated", headers=OPERATOR).status_code == 403
    assert dispatch.get(f"/tickets/{tid}", headers=XINRAN).json()["status"] == "filed"  # still waiting for the community


@pytest.mark.parametrize(
    "headers",
    [
        bearer("resident", "r-hotline", community_id="xinran"),
        bearer("grid_worker", "g-hotline", community_id="xinran"),
        XINRAN,
        URBAN,
        bearer("supervisor", "sup-hotline", street_id="changyang"),
        ADMIN,
    ],
    ids=["resident", "grid_worker", "community_staff", "department_staff", "supervisor", "admin"],
)
def test_nobody_but_an_operator_uses_the_hotline(service_clients, headers):
    intake = service_clients["intake"]
    caller = phone()
    assert file(intake, caller, headers=headers).status_code == 403
    assert lookup(intake, caller, headers=headers).status_code == 403
    assert lookup(intake, caller).json() == []  # nothing was filed
    assert intake.get("/hotline/callers/tickets", params={"phone": caller}).status_code == 401


def test_an_idempotency_key_is_the_operators_own(service_clients):
    intake = service_clients["intake"]
    caller, key = phone(), f"call-{uuid.uuid4().hex}"
    mine = file(intake, caller, key=key)
    theirs = file(intake, caller, headers=OTHER_OPERATOR, key=key)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    retried = file(intake, caller, key=key)
    assert retried.status_code == 200 and retried.json()["id"] == mine.json()["id"]
    changed = file(intake, caller, key=key, title="另一件事")
    assert changed.status_code == 409
    assert len(lookup(intake, caller).json()) == 2
