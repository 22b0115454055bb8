"""DLQ operations (issue 13, item 7) on real Kafka and PostgreSQL: `python -m libs.messaging.dlq list|show|redrive`.

A handler that fails on its own logic is tried five times and dead-lettered with its headers (the path itself is
tested in test_consumer_failures.py); after the "fix" the CLI lists it (filters by source topic, consumer group and
time), shows it, and re-drives it to its source topic with its original event id. Re-driving twice applies the
event once: the second copy meets the idempotent inbox.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from sqlmodel import Session

from libs.events import Event, TicketFiled
from tests.integration.test_consumer_failures import (  # noqa: F401 - kafka and engine are fixtures
    CONSUMER_HEADERS,
    RunningConsumer,
    _wait_committed_total,
    apply_event,
    applied_counts,
    consumer_for,
    create_topic,
    dead_letters_from,
    engine,
    eventually,
    filed,
    inbox_ids,
    kafka,
    send,
)

REPO = Path(__file__).resolve().parents[2]


def dlq_cli(bootstrap: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KAFKA_BOOTSTRAP": bootstrap, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "libs.messaging.dlq", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


async def cli(bootstrap: str, *args: str, expect: int = 0) -> str:
    done = await asyncio.to_thread(dlq_cli, bootstrap, *args)
    assert done.returncode == expect, f"dlq {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def test_dead_letters_are_listed_shown_and_redriven_once_however_often(kafka, engine):
    bootstrap, producer = kafka
    topic, other_topic = (f"it-{uuid.uuid4().hex[:8]}.tickets" for _ in range(2))
    await create_topic(bootstrap, topic, 1)
    await create_topic(bootstrap, other_topic, 1)
    bad, good, elsewhere = filed(1), filed(2), filed(3)
    broken = {"on": True}
    calls: Counter[str] = Counter()

    def handler(session: Session, event: Event) -> None:
        calls[str(event.event_id)] += 1
        if broken["on"] and event.event_id in (bad.event_id, elsewhere.event_id):
            raise ValueError(f"no department for category {event.category!r}")  # the bug, fixed below
        apply_event(session, event)

    started = datetime.now(timezone.utc) - timedelta(seconds=1)
    bad_at = await send(producer, topic, bad)
    await send(producer, topic, good)
    await send(producer, other_topic, elsewhere)
    consumer, group, _ = consumer_for(bootstrap, producer, engine, topic, {TicketFiled: handler})
    other, other_group, _ = consumer_for(bootstrap, producer, engine, other_topic, {TicketFiled: handler})
    running, running_other = await RunningConsumer(consumer).start(), await RunningConsumer(other).start()
    try:
        await _wait_committed_total(bootstrap, group, topic, 2)
        await _wait_committed_total(bootstrap, other_group, other_topic, 1)
        letters = await eventually(partial(dead_letters_from, bootstrap, topic), "the dead letter", timeout=60)
        assert calls[str(bad.event_id)] == 5 and len(letters) == 1
        headers = dict(letters[0].headers)
        assert set(headers) == CONSUMER_HEADERS | {"event_type", "event_id"}
        assert (headers["attempts"], headers["consumer_group"], headers["source_offset"]) == (
            b"5", group.encode(), str(bad_at.offset).encode())

        # list: by source topic, by group, by time; the other topic's letter is not in ours
        listed = json.loads(await cli(bootstrap, "list", "--topic", topic, "--json"))
        assert [(d["event_id"], d["consumer_group"], d["attempts"], d["source_topic"]) for d in listed] == [
            (str(bad.event_id), group, "5", topic)]
        assert listed[0]["error"] == "ValueError: no department for category 'road'"
        assert [d["event_id"] for d in json.loads(await cli(bootstrap, "list", "--group", other_group, "--json"))] == [
            str(elsewhere.event_id)]
        assert json.loads(await cli(bootstrap, "list", "--topic", topic, "--since", "1h", "--json"))
        future = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
        assert json.loads(await cli(bootstrap, "list", "--topic", topic, "--since", future, "--json")) == []
        assert json.loads(await cli(bootstrap, "list", "--topic", topic, "--until", started.isoformat(), "--json")) == []
        table = await cli(bootstrap, "list", "--topic", topic)
        assert str(bad.event_id) in table and "1 dead letter(s)" in table

        # show: by event id and by position, with the decoded event
        shown = json.loads(await cli(bootstrap, "show", str(bad.event_id)))
        assert len(shown) == 1 and shown[0]["event"]["ticket_id"] == bad.ticket_id and shown[0]["decodes_now"]
        assert json.loads(await cli(bootstrap, "show", shown[0]["position"]))[0]["event_id"] == str(bad.event_id)
        await cli(bootstrap, "show", str(uuid.uuid4()), expect=1)

        # redrive refuses to run without a filter; a dry run publishes nothing
        await cli(bootstrap, "redrive", expect=2)
        assert "1 of 1 dead letter(s) would be re-driven" in await cli(bootstrap, "redrive", "--topic", topic, "--dry-run")

        broken["on"] = False  # the fix is deployed
        first = await cli(bootstrap, "redrive", "--topic", topic)
        assert "1 of 1 dead letter(s) re-driven" in first
        await _wait_committed_total(bootstrap, group, topic, 3)
        second = await cli(bootstrap, "redrive", "--topic", topic)
        assert "1 of 1 dead letter(s) re-driven" in second
        await _wait_committed_total(bootstrap, group, topic, 4)

        counts = await asyncio.to_thread(applied_counts, engine)
        assert counts[str(bad.event_id)] == 1 and counts[str(good.event_id)] == 1, counts
        assert str(bad.event_id) in await asyncio.to_thread(inbox_ids, engine, group)
        assert calls[str(bad.event_id)] == 6, "five failed tries, one application; the second copy met the inbox"
        assert len(await dead_letters_from(bootstrap, topic)) == 1, "nothing dead-lettered again"
        assert counts[str(elsewhere.event_id)] == 0, "the other topic's dead letter was not re-driven"
    finally:
        for r in (running, running_other):
            assert await r.stop() is None


async def test_a_record_that_still_does_not_decode_is_skipped_not_redriven(kafka, engine):
    bootstrap, producer = kafka
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    await create_topic(bootstrap, topic, 1)
    await producer.send_and_wait(topic, value=b'{"type": "NoSuchEvent"}', key=b"poison")
    await send(producer, topic, filed(1))
    consumer, group, _ = consumer_for(bootstrap, producer, engine, topic, {TicketFiled: apply_event})
    running = await RunningConsumer(consumer).start()
    try:
        await _wait_committed_total(bootstrap, group, topic, 2)
        await eventually(partial(dead_letters_from, bootstrap, topic), "the dead letter", timeout=60)
        out = await cli(bootstrap, "redrive", "--topic", topic, expect=1)
        assert "skipped: does not decode" in out and "0 of 1" in out
        (letter,) = await dead_letters_from(bootstrap, topic)
        shown = json.loads(await cli(bootstrap, "show", f"{letter.partition}:{letter.offset}"))
        assert shown[0]["decodes_now"] is False and "unknown event type" in shown[0]["event"]["decode_error"]
        assert shown[0]["headers"]["attempts"] == "1"
    finally:
        assert await running.stop() is None
