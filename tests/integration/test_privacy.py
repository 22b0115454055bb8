"""The reporter's name and phone: encrypted at rest, masked everywhere, revealed only to the ticket's handler (community
staff of its community, department staff of the department holding it), every reveal recorded and listed for admins;
anonymous tickets keep no identity; and neither the number nor the name is ever in clear on Kafka (every topic of the
run, the DLQ included), in the service logs or in any service's outbox and inbox."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid

import pytest
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text

from libs.pii import get_vault
from libs.settings import get_settings
from services.intake.privacy import IntakeContact, reencrypt, tickets_of_phone
from tests.integration.conftest import SERVICES, bearer, eventually

PHONE = "13912345678"
NAME = "王秀兰"
MASKED = "139****5678"
RESIDENT = bearer("resident", "r-pii", community_id="xinran")
XINRAN = bearer("community_staff", "s-pii", community_id="xinran")
SHILIUQIAO = bearer("community_staff", "s-pii-other", community_id="shiliuqiao")
URBAN = bearer("department_staff", "d-pii", department_id="urban")
WATER = bearer("department_staff", "d-pii-other", department_id="water")
ADMIN = bearer("admin", "a-pii")


def file(intake, headers=RESIDENT, **changes):
    body = {"title": "楼道灯不亮", "description": "2号楼3单元楼道灯坏了一周", "category": "road", "community_id": "xinran",
            "contact_phone": PHONE, "contact_name": NAME, **changes}
    made = intake.post("/tickets", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()


def dispatched_to_urban(service_clients, ticket_id: str) -> None:
    dispatch, department, intake = (service_clients[s] for s in ("dispatch", "department", "intake"))
    eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).status_code == 200)
    sent = dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "urban"}, headers=XINRAN)
    assert sent.status_code == 200, sent.text
    eventually(lambda: department.get(f"/tickets/{ticket_id}", headers=URBAN).status_code == 200)
    eventually(lambda: intake.get(f"/tickets/{ticket_id}", headers=XINRAN).json()["status"] == "dispatched")


def reveal(intake, ticket_id: str, headers):
    return intake.post(f"/tickets/{ticket_id}/contact/reveal", headers=headers)


def reveals_of(intake, ticket_id: str) -> list[dict]:
    listed = intake.get("/admin/contact-reveals", params={"ticket_id": ticket_id}, headers=ADMIN)
    assert listed.status_code == 200, listed.text
    return listed.json()


def test_name_and_phone_are_stored_encrypted_masked_on_the_ticket_and_findable_by_phone_hash(service_clients):
    intake = service_clients["intake"]
    ticket = file(intake)
    assert ticket["reporter_phone_masked"] == MASKED
    assert "contact_phone" not in ticket and "contact_name" not in ticket
    with intake.app.state.runtime.session() as session:
        contact = session.get(IntakeContact, ticket["id"])
        assert contact is not None
        assert PHONE not in contact.phone_encrypted and NAME not in contact.name_encrypted
        assert get_vault().decrypt(contact.phone_encrypted) == PHONE
        assert get_vault().decrypt(contact.name_encrypted) == NAME
        assert ticket["id"] in tickets_of_phone(session, "+86 139-1234-5678")  # any spelling of the number
        row = session.execute(text("select * from intake_ticket where id = :id"), {"id": ticket["id"]}).mappings().one()
        assert not [k for k, v in row.items() if PHONE in str(v) or NAME in str(v)]


def test_an_anonymous_ticket_stores_no_name_no_phone_and_no_hash(service_clients):
    intake = service_clients["intake"]
    ticket = file(intake, anonymous=True)
    assert ticket["reporter_phone_masked"] is None
    with intake.app.state.runtime.session() as session:
        assert session.get(IntakeContact, ticket["id"]) is None
        assert ticket["id"] not in tickets_of_phone(session, PHONE)
    assert reveal(intake, ticket["id"], XINRAN).status_code == 404


def test_the_community_of_the_ticket_reveals_the_number_and_the_reveal_is_recorded(service_clients):
    intake = service_clients["intake"]
    ticket = file(intake)
    shown = reveal(intake, ticket["id"], XINRAN)
    assert shown.status_code == 200, shown.text
    assert (shown.json()["contact_phone"], shown.json()["contact_name"]) == (PHONE, NAME)
    assert shown.headers["cache-control"] == "no-store"
    [record] = reveals_of(intake, ticket["id"])
    assert (record["actor_id"], record["actor_role"], record["actor_scope"]) == ("s-pii", "community_staff", "xinran")
    assert record["revealed_at"]


def test_the_department_holding_the_ticket_reveals_the_number_and_another_department_is_refused(service_clients):
    intake = service_clients["intake"]
    ticket = file(intake)
    assert reveal(intake, ticket["id"], URBAN).status_code == 403  # not dispatched yet: no department holds it
    dispatched_to_urban(service_clients, ticket["id"])
    shown = reveal(intake, ticket["id"], URBAN)
    assert shown.status_code == 200, shown.text
    assert shown.json()["contact_phone"] == PHONE
    refused = reveal(intake, ticket["id"], WATER)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("ticket_id:")
    assert [(r["actor_id"], r["actor_scope"]) for r in reveals_of(intake, ticket["id"])] == [("d-pii", "urban")]


@pytest.mark.parametrize(
    "headers",
    [
        SHILIUQIAO,  # another community's staff
        RESIDENT,  # the reporter themself: they know their number; the API is for handlers
        bearer("resident", "r-pii-other", community_id="xinran"),  # another resident
        bearer("grid_worker", "g-pii", community_id="xinran"),
        bearer("supervisor", "sup-pii"),
        ADMIN,  # admins audit reveals; they do not call back
    ],
)
def test_anyone_but_the_tickets_handler_is_refused_and_nothing_is_recorded(service_clients, headers):
    intake = service_clients["intake"]
    ticket = file(intake)
    refused = reveal(intake, ticket["id"], headers)
    assert refused.status_code == 403
    assert PHONE not in refused.text and NAME not in refused.text
    assert reveals_of(intake, ticket["id"]) == []


def test_an_unknown_ticket_is_a_404_naming_it(service_clients):
    refused = reveal(service_clients["intake"], "T20260101-00000000", XINRAN)
    assert refused.status_code == 404
    assert refused.json()["detail"].startswith("ticket_id:")


def test_only_admins_list_the_reveals(service_clients):
    intake = service_clients["intake"]
    for headers in (XINRAN, URBAN, RESIDENT, bearer("supervisor", "sup-pii")):
        assert intake.get("/admin/contact-reveals", headers=headers).status_code == 403


def test_re_encryption_after_a_key_rotation_keeps_every_contact_readable(service_clients, monkeypatch):
    from cryptography.fernet import Fernet

    from libs.pii import Vault

    intake = service_clients["intake"]
    ticket = file(intake)
    old = get_vault()
    new_key = Fernet.generate_key().decode()
    rotated = Vault([new_key, *old_keys()], "a-new-hash-key-for-this-test-only-0123456789")
    with intake.app.state.runtime.unit_of_work() as session:
        assert reencrypt(session, rotated) >= 1
    with intake.app.state.runtime.session() as session:
        contact = session.get(IntakeContact, ticket["id"])
        only_new = Vault([new_key], "a-new-hash-key-for-this-test-only-0123456789")
        assert only_new.decrypt(contact.phone_encrypted) == PHONE and only_new.decrypt(contact.name_encrypted) == NAME
        assert ticket["id"] in tickets_of_phone(session, PHONE, only_new)
    with intake.app.state.runtime.unit_of_work() as session:  # back under the process's keys for the other tests
        reencrypt(session, Vault([*old_keys(), new_key], _hash_key()))
    assert reveal(intake, ticket["id"], XINRAN).json()["contact_phone"] == PHONE


def old_keys() -> list[str]:
    from libs.pii import PiiSettings

    return PiiSettings().key_list


def _hash_key() -> str:
    from libs.pii import PiiSettings

    return PiiSettings().hash_key


def _forms(needle: str) -> tuple[bytes, bytes]:
    """The needle as UTF-8 and as JSON writes it with ASCII escapes (王 -> \\u738b)."""
    return needle.encode(), json.dumps(needle)[1:-1].encode()


# --- the scan -------------------------------------------------------------------------------------------------------


class _Tee(io.TextIOBase):
    def __init__(self, sink: io.StringIO) -> None:
        self.sink = sink

    def write(self, s: str) -> int:
        return self.sink.write(s)


@pytest.fixture
def captured_logs():
    """Everything the in-process services log (structlog and stdlib) while the test runs."""
    sink = io.StringIO()
    before = structlog.get_config()["logger_factory"]
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(_Tee(sink)))
    handler = logging.StreamHandler(sink)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield sink
    finally:
        root.removeHandler(handler)
        structlog.configure(logger_factory=before)


async def _every_record_of_the_run() -> list[bytes]:
    """Every key, value and header of every topic of this run (its prefix), from the beginning to the current end."""
    prefix = get_settings().topic_prefix
    consumer = AIOKafkaConsumer(bootstrap_servers=get_settings().kafka_bootstrap, enable_auto_commit=False,
                                group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.startswith(prefix))
        assert f"{prefix}tickets" in topics
        consumer.subscribe(topics)
        seen: list[bytes] = [t.encode() for t in topics]
        ends: dict[TopicPartition, int] | None = None
        position: dict[TopicPartition, int] = {}
        for _ in range(600):
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    seen += [record.key or b"", record.value or b"", *(v or b"" for _k, v in record.headers)]
                    position[tp] = record.offset + 1
            if ends is None and consumer.assignment():
                ends = await consumer.end_offsets(list(consumer.assignment()))
            if ends is not None and all(position.get(tp, 0) >= end for tp, end in ends.items()):
                return seen
        raise AssertionError(f"could not read the topics to their end: {ends} / {position}")
    finally:
        await consumer.stop()


def test_the_phone_and_name_are_in_clear_on_no_topic_log_outbox_or_inbox(service_clients, captured_logs):
    intake = service_clients["intake"]
    phones = ["13711112222", "+86 136-3333-4444", "15955556666"]
    names = ["李建国", "Zhang Wei", "欧阳晓梅"]
    tickets = [file(intake, contact_phone=p, contact_name=n) for p, n in zip(phones, names, strict=True)]
    file(intake, contact_phone="13877778888", contact_name="匿名者", anonymous=True)
    phones.append("13877778888")
    names.append("匿名者")
    guest = intake.post("/public/tickets", json={"title": "楼道灯不亮", "description": "不登录吹哨：4号楼楼道灯坏了",
                                                 "category": "road", "contact_phone": "13522223333", "contact_name": "钱不登"},
                        headers={"Idempotency-Key": uuid.uuid4().hex})  # 不登录吹哨, then 查询进度 right and wrong
    assert guest.status_code == 201, guest.text
    followed = [intake.post(f"/public/tickets/{guest.json()['id']}/lookup", json={"phone_last4": d}).status_code
                for d in ("3333", "3334")]
    assert followed == [200, 404]
    phones.append("13522223333")
    names.append("钱不登")
    dispatched_to_urban(service_clients, tickets[0]["id"])
    assert reveal(intake, tickets[0]["id"], URBAN).status_code == 200  # a reveal logs, and must log no number

    needles = {*(p for p in phones), *("".join(c for c in p if c.isdigit())[-11:] for p in phones), *names}
    records = asyncio.run(_every_record_of_the_run())
    assert records, "the scan read nothing from Kafka"
    assert any(form in r for r in records for form in _forms("楼道灯不亮")), "the scan must see the tickets' own text"
    on_kafka = sorted(n for n in needles if any(form in r for r in records for form in _forms(n)))

    logs = captured_logs.getvalue()
    assert "contact_revealed" in logs, "the log capture saw nothing"
    in_logs = sorted(n for n in needles if any(form.decode() in logs for form in _forms(n)))

    in_tables = []
    for service in SERVICES:
        engine = service_clients[service].app.state.runtime.engine
        with engine.connect() as conn:
            for table in ("outbox", "inbox"):
                for row in conn.execute(text(f"select * from {table}")).mappings():  # noqa: S608 - our table names
                    dump = " ".join(str(v) for v in row.values())
                    in_tables += [f"{service}.{table}: {n}" for n in needles if any(f.decode() in dump for f in _forms(n))]
    assert (on_kafka, in_logs, in_tables) == ([], [], [])

