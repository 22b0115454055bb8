"""The PII scan of the end-to-end stack (issue 13 item 4), run last (after the browser and e2e suites filed their
tickets on it): every phone number and reporter name the stack was given — read back from intake's encrypted contacts
and from the tests' own sources — is in clear on none of the stack's Kafka topics (the DLQ included: every key, value
and header), in none of its processes' log files, and in no service's outbox or inbox table.

Masked numbers (138****5678) and keyed hashes are fine; the tickets' own text must be seen by the scan (it reads)."""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text

from libs.events.topics import CONFIG, DEAD_LETTER, POINTS, REPORTS, TICKETS, WISHES
from libs.pii import get_vault, normalize_phone
from libs.settings import Settings

SERVICES = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify")
TOPICS = (TICKETS, DEAD_LETTER, CONFIG, REPORTS, WISHES, POINTS)
TESTS = Path(__file__).resolve().parents[1]
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
NAME_IN_SOURCE = re.compile(
    r"""(?:"(?:contact_name|caller_name)"\s*:\s*"([^"]+)")|(?:get_by_label\("(?:称呼|联系人)"\)\.fill\("([^"]+)"\))"""
)


def _db(service: str, stack) -> str:  # noqa: ANN001
    return Settings(database_url=stack.database_url).database_url_for(service)


def _forms(needle: str) -> tuple[str, ...]:
    """The needle as written, and as JSON writes it with ASCII escapes (王 -> \\u738b)."""
    return (needle, json.dumps(needle)[1:-1])


def needles_of(stack) -> set[str]:  # noqa: ANN001
    """Every number and name the stack was given: intake's contacts decrypted, and the tests' own literals."""
    vault = get_vault()
    found: set[str] = set()
    engine = create_engine(_db("intake", stack))
    with engine.connect() as conn:
        for phone, name in conn.execute(text("select phone_encrypted, name_encrypted from intake_contact")):
            if phone:
                found.add(normalize_phone(vault.decrypt(phone)))
            if name:
                found.add(vault.decrypt(name))
    engine.dispose()
    for source in [*TESTS.joinpath("e2e").glob("*.py"), *TESTS.joinpath("browser").glob("*.py")]:
        body = source.read_text(encoding="utf-8")
        found.update(MOBILE.findall(body))
        found.update(n for groups in NAME_IN_SOURCE.findall(body) for n in groups if n)
    return {n for n in found if len(n) >= 2}


async def _every_record(bootstrap: str, prefix: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        present = await consumer.topics()
        topics = sorted(f"{prefix}{t}" for t in TOPICS if f"{prefix}{t}" in present)
        assert f"{prefix}{TICKETS}" in topics, f"the stack's topics are not there: {sorted(present)[:20]}"
        consumer.subscribe(topics)
        seen: list[bytes] = [t.encode() for t in topics]
        ends: dict[TopicPartition, int] | None = None
        position: dict[TopicPartition, int] = {}
        for _ in range(1200):
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
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


def test_no_phone_number_or_name_in_clear_on_kafka_in_the_logs_or_in_any_outbox_or_inbox(stack):
    needles = needles_of(stack)
    assert any(MOBILE.fullmatch(n) for n in needles), f"the scan knows no phone number: {sorted(needles)}"

    records = asyncio.run(_every_record(stack.kafka_bootstrap, stack.env().get("TOPIC_PREFIX", "")))
    blob = b"\n".join(records)
    assert "路".encode() in blob or json.dumps("路")[1:-1].encode() in blob, "the scan must see the tickets' own text"
    on_kafka = sorted(n for n in needles if any(f.encode() in blob for f in _forms(n)))

    logs = sorted(Path(stack.log_dir).glob("*.log"))
    assert logs, f"no log files under {stack.log_dir}"
    in_logs = []
    for log in logs:
        content = log.read_text(encoding="utf-8", errors="replace")
        in_logs += [f"{log.name}: {n}" for n in needles if any(f in content for f in _forms(n))]

    in_tables = []
    for service in SERVICES:
        engine = create_engine(_db(service, stack))
        with engine.connect() as conn:
            for table in ("outbox", "inbox"):
                for row in conn.execute(text(f"select * from {table}")).mappings():  # noqa: S608 - our table names
                    dump = " ".join(str(v) for v in row.values())
                    in_tables += [f"{service}.{table}: {n}" for n in needles if any(f in dump for f in _forms(n))]
        engine.dispose()
    assert (on_kafka, sorted(set(in_logs)), sorted(set(in_tables))) == ([], [], [])
