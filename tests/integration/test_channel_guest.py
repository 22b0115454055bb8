"""不登录也能吹哨 over HTTP: a guest files with a mobile number and no token, the ticket reaches the community's queue
through TicketFiled on the real Kafka, and anyone with its number and the phone's last four digits follows it, seeing
no name, phone, description or address; wrong digits, another phone's digits, an unknown number and an anonymous
ticket all get one identical 404; wrong tries are throttled per ticket and per address (429 + Retry-After); one
Idempotency-Key files once under concurrent retries; and the account the number owns sees the ticket as its own."""
from __future__ import annotations

import json
import threading
import uuid

import pytest
from sqlalchemy import text

from libs.directory import get_directory
from libs.pii import get_vault
from services.intake.follow import NO_MATCH, FollowSettings, get_follow_guard
from tests.integration.conftest import bearer, eventually

XINRAN_STAFF = bearer("community_staff", "s-guest", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-guest-2", community_id="shiliuqiao")
URBAN = bearer("department_staff", "d-guest", department_id="urban")
NAME = "周桂芳"
BODY = {
    "kind": "problem",
    "title": "北门路灯不亮",
    "description": "馨然嘉园北门路灯坏了一周，晚上很黑，老人出门不方便。",
    "category": "road",
    "community_id": "xinran",
    "address": "馨然嘉园北门",
}


def phone() -> str:
    return "137" + str(uuid.uuid4().int)[:8]


def file(intake, number: str, key: str | None = None, **changes):
    body = {**BODY, "contact_phone": number, "contact_name": NAME, **changes}
    return intake.post("/public/tickets", json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def filed(intake, number: str, **changes) -> dict:
    made = file(intake, number, **changes)
    assert made.status_code == 201, made.text
    return made.json()


def lookup(intake, ticket_id: str, last4: str):
    return intake.post(f"/public/tickets/{ticket_id}/lookup", json={"phone_last4": last4})


@pytest.fixture(autouse=True)
def throttle(service_clients):
    """Fresh wrong-try windows for every test (the counts live in intake's database), off unless the test sets them;
    the defaults come back afterwards."""
    guard = get_follow_guard()
    with service_clients["intake"].app.state.runtime.engine.begin() as conn:
        conn.execute(text("delete from intake_rate_hit"))

    def set_limits(**limits: str) -> None:
        guard.configure(FollowSettings(**{"per_ticket": "off", "per_ip": "off", **limits}))

    set_limits()
    yield set_limits
    guard.configure(FollowSettings())


def test_a_guest_filing_reaches_the_community_queue_through_kafka_without_an_account(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    number = phone()
    ticket = filed(intake, number)
    assert ticket["id"].startswith("T") and ticket["status"] == "filed" and ticket["status_label"] == "已吹哨，待社区转哨"
    assert (ticket["community_name"], ticket["department_name"]) == ("馨然嘉园社区", None)
    seen = eventually(lambda: (r := dispatch.get(f"/tickets/{ticket['id']}", headers=XINRAN_STAFF)).status_code == 200 and r.json())
    assert (seen["channel"], seen["community_id"], seen["category"]) == ("h5", "xinran", "road")
    assert seen["reporter_phone_masked"] == f"{number[:3]}****{number[-4:]}"
    assert number not in json.dumps(seen, ensure_ascii=False) and NAME not in json.dumps(seen, ensure_ascii=False)
    assert ticket["id"] in [t["id"] for t in dispatch.get("/tickets", headers=XINRAN_STAFF).json()]  # the console's queue
    assert ticket["id"] not in [t["id"] for t in dispatch.get("/tickets", headers=OTHER_STAFF).json()]
    assert dispatch.get(f"/tickets/{ticket['id']}", headers=OTHER_STAFF).status_code in (403, 404)
    with intake.app.state.runtime.engine.connect() as conn:
        row = conn.execute(text("select reporter_id, filed_by, channel from intake_ticket where id = :id"),
                           {"id": ticket["id"]}).one()
    vault = get_vault()
    assert tuple(row) == (vault.resident_id(number), "guest:" + vault.phone_hash(number)[:24], "h5")


def test_the_right_digits_show_the_progress_and_nothing_personal(service_clients):
    intake, dispatch, department = (service_clients[s] for s in ("intake", "dispatch", "department"))
    number = phone()
    ticket_id = filed(intake, number)["id"]
    eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN_STAFF).status_code == 200)
    sent = dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "urban", "note": "请城管尽快修复"},
                         headers=XINRAN_STAFF)
    assert sent.status_code == 200, sent.text
    eventually(lambda: department.get(f"/tickets/{ticket_id}", headers=URBAN).status_code == 200)
    eventually(lambda: lookup(intake, ticket_id, number[-4:]).json()["status"] == "dispatched")

    found = lookup(intake, ticket_id, number[-4:])
    assert found.status_code == 200 and found.headers["Cache-Control"] == "no-store"
    view = found.json()
    assert (view["id"], view["title"], view["kind"]) == (ticket_id, BODY["title"], "problem")
    assert view["category_name"] == get_directory().category("road").name
    assert (view["status_label"], view["community_name"], view["department_name"]) == (
        "已派单，待部门签收", "馨然嘉园社区", "城市管理委员会")
    assert [e["event_type"] for e in view["timeline"]] == ["TicketFiled", "TicketDispatched"]
    body = found.text
    assert view["timeline"][1]["note"] is None  # the community's word to the department is not public
    for secret in (number, number[-4:], f"{number[:3]}****", NAME, BODY["description"], BODY["address"], "请城管尽快修复"):
        assert secret not in body, secret
    assert not {"description", "address", "reporter_phone_masked", "reporter_id", "contact_phone"} & set(view)


def test_wrong_digits_another_phones_digits_an_unknown_number_and_an_anonymous_ticket_get_one_identical_404(service_clients):
    intake = service_clients["intake"]
    a, b = phone(), "13" + "9" * 5 + "2468"
    ticket_id = filed(intake, a)["id"]
    filed(intake, b)  # B's own ticket exists; its digits still do not open A's
    anonymous = intake.post("/tickets", json={**BODY, "contact_phone": a, "anonymous": True},
                            headers={**bearer("resident", "r-guest-anon", community_id="xinran"), "Idempotency-Key": uuid.uuid4().hex})
    assert anonymous.status_code == 201, anonymous.text
    wrong = "0000" if a[-4:] != "0000" else "1111"
    answers = [
        lookup(intake, ticket_id, wrong),
        lookup(intake, ticket_id, b[-4:]),
        lookup(intake, "T20990101-DEADBEEF", a[-4:]),
        lookup(intake, anonymous.json()["id"], a[-4:]),  # an anonymous ticket keeps no phone: not followable
    ]
    assert [(r.status_code, r.json()) for r in answers] == [(404, {"detail": NO_MATCH})] * 4
    assert len({tuple(sorted((k, v) for k, v in r.headers.items() if k.lower() != "date")) for r in answers}) == 1
    assert lookup(intake, ticket_id, a[-4:]).status_code == 200


def test_bad_input_names_the_field(service_clients):
    intake = service_clients["intake"]
    assert lookup(intake, "T20990101-DEADBEEF", "12a4").status_code == 422
    for change, field in (({"contact_phone": "010-6512345"}, "contact_phone"), ({"category": "roads"}, "category"),
                          ({"attachments": ["/attachments/" + "a" * 32 + ".jpg"]}, "attachments"),
                          ({"anonymous": True}, "anonymous")):
        refused = file(intake, phone(), **change)
        assert refused.status_code == 422, refused.text
        assert field in json.dumps(refused.json(), ensure_ascii=False)
    missing = intake.post("/public/tickets", json=BODY, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert missing.status_code == 422 and "contact_phone" in missing.text
    assert intake.post("/public/tickets", json={**BODY, "contact_phone": phone()}).status_code == 422  # no key


def test_five_wrong_tries_lock_the_ticket_for_an_hour_even_for_the_right_digits(service_clients, throttle):
    intake = service_clients["intake"]
    throttle(per_ticket="5/3600")
    number = phone()
    ticket_id, other_id = filed(intake, number)["id"], filed(intake, number)["id"]
    wrong = "0000" if number[-4:] != "0000" else "1111"
    assert [lookup(intake, ticket_id, wrong).status_code for _ in range(5)] == [404] * 5
    locked = lookup(intake, ticket_id, number[-4:])
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith("phone_last4: 查询错误次数过多")
    assert 3500 <= int(locked.headers["Retry-After"]) <= 3600
    assert lookup(intake, other_id, number[-4:]).status_code == 200  # another ticket is not locked
    assert lookup(intake, "T20990101-0BADF00D", wrong).status_code == 404  # unknown numbers count the same way
    assert [lookup(intake, "T20990101-0BADF00D", wrong).status_code for _ in range(5)][-1] == 429


def test_right_answers_do_not_count_and_wrong_ones_from_one_address_are_throttled_across_tickets(service_clients, throttle):
    intake = service_clients["intake"]
    throttle(per_ticket="2/3600", per_ip="3/3600")
    number = phone()
    ids = [filed(intake, number)["id"] for _ in range(4)]
    assert [lookup(intake, ids[0], number[-4:]).status_code for _ in range(6)] == [200] * 6
    wrong = "0000" if number[-4:] != "0000" else "1111"
    assert [lookup(intake, i, wrong).status_code for i in ids[:3]] == [404] * 3
    refused = lookup(intake, ids[3], wrong)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_concurrent_retries_with_one_key_file_one_ticket(service_clients):
    intake = service_clients["intake"]
    number, key = phone(), uuid.uuid4().hex
    start = threading.Barrier(6)
    answers: list = [None] * 6

    def submit(i: int) -> None:
        start.wait()
        try:
            answers[i] = file(intake, number, key=key)
        except Exception as exc:  # noqa: BLE001 - a 500 in the app: shown in the assertion below
            answers[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    codes = sorted(getattr(a, "status_code", 500) for a in answers)
    assert codes == [200] * 5 + [201], [getattr(a, "text", repr(a)) for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    with intake.app.state.runtime.engine.connect() as conn:
        count = conn.execute(text("select count(*) from intake_ticket where idempotency_key = :k"), {"k": key}).scalar_one()
    assert count == 1
    # The key is per phone: another number may use the same key for its own ticket.
    assert file(intake, phone(), key=key).status_code == 201


def test_the_account_the_number_owns_sees_the_guest_ticket_as_its_own(service_clients):
    intake = service_clients["intake"]
    number = phone()
    ticket_id = filed(intake, number)["id"]
    owner = bearer("resident", get_vault().resident_id(number), community_id="xinran")
    mine = intake.get("/tickets/mine", headers=owner)
    assert mine.status_code == 200 and ticket_id in [t["id"] for t in mine.json()]
    assert intake.get(f"/tickets/{ticket_id}", headers=owner).status_code == 200
    stranger = bearer("resident", get_vault().resident_id(phone()), community_id="xinran")
    assert ticket_id not in [t["id"] for t in intake.get("/tickets/mine", headers=stranger).json()]
    assert intake.get(f"/tickets/{ticket_id}", headers=stranger).status_code == 404
