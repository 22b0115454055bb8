"""Outbox + inbox against real PostgreSQL and Kafka: nothing rolled back is published, nothing is applied twice,
poison goes to the dead-letter topic, and a broker restart mid-stream loses nothing."""
from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select
from sqlmodel import Field, Session, SQLModel

from deploy.procs import free_port, stop_processes
from deploy.stack import start_kafka, wait_kafka
from libs.db import ensure_database, make_engine, transaction
from libs.events import DEAD_LETTER, Actor, Event, TicketFiled, encode_event, topic_name
from libs.messaging import EventConsumer, InboxEntry, OutboxMessage, OutboxRelay, apply_once, make_producer, record_event


class AppliedEvent(SQLModel, table=True):
    """One row per application: a duplicate application would show up as a second row."""

    __tablename__ = "it_applied_event"
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36)
    ticket_id: str = Field(max_length=40)


def apply_event(session: Session, event: Event) -> None:
    session.add(AppliedEvent(event_id=str(event.event_id), ticket_id=event.ticket_id))


@pytest.fixture
def engine(postgres_url):
    url = f"{postgres_url}_it_{uuid.uuid4().hex[:8]}"
    ensure_database(url)
    engine = make_engine(url)
    SQLModel.metadata.create_all(
        engine, tables=[OutboxMessage.__table__, InboxEntry.__table__, AppliedEvent.__table__]
    )
    yield engine
    engine.dispose()


def filed(topic: str, n: int = 0) -> TicketFiled:
    return TicketFiled(
        topic=topic, ticket_id=f"T-{uuid.uuid4().hex[:10]}", actor=Actor(role="resident", id="r-1"),
        title=f"测试诉求 {n}", description="integration", category="road", community_id="xinran",
    )


async def read_event_ids(bootstrap: str, topic: str, until: set[str], timeout: float = 60) -> list[str]:
    """All event ids on `topic` from the beginning, once every id in `until` was seen (or the timeout hit)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: list[str] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not until.issubset(seen) and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                seen += [dict(r.headers)["event_id"].decode() for r in records]
    finally:
        await consumer.stop()
    return seen


def count_rows(engine, model, **where) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return session.execute(query).scalar_one()


async def test_an_event_written_in_a_rolled_back_transaction_is_never_published(engine, kafka_bootstrap):
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    rolled_back, committed = filed(topic, 1), filed(topic, 2)
    with pytest.raises(RuntimeError):
        with transaction(engine) as session:
            record_event(session, rolled_back)
            raise RuntimeError("the use case failed after staging its event")
    with transaction(engine) as session:
        record_event(session, committed)

    producer = make_producer(kafka_bootstrap, "it-outbox")
    await producer.start()
    try:
        assert await OutboxRelay(engine, producer, "it").publish_once() == 1
    finally:
        await producer.stop()

    seen = await read_event_ids(kafka_bootstrap, topic, until={str(committed.event_id)})
    assert str(committed.event_id) in seen
    assert str(rolled_back.event_id) not in seen
    assert count_rows(engine, OutboxMessage, event_id=str(rolled_back.event_id)) == 0
    assert count_rows(engine, OutboxMessage, sent_at=None) == 0


def test_applying_the_same_event_twice_changes_nothing_the_second_time(engine):
    event = filed("unused")
    assert apply_once(engine, "it", event, apply_event) is True
    assert apply_once(engine, "it", event, apply_event) is False
    assert count_rows(engine, AppliedEvent, event_id=str(event.event_id)) == 1


def test_a_failing_handler_leaves_no_inbox_row_so_the_event_is_retried(engine):
    event = filed("unused")

    def broken(session: Session, ev: Event) -> None:
        apply_event(session, ev)
        raise ValueError("handler bug")

    with pytest.raises(ValueError):
        apply_once(engine, "it", event, broken)
    assert count_rows(engine, InboxEntry, event_id=str(event.event_id)) == 0
    assert count_rows(engine, AppliedEvent, event_id=str(event.event_id)) == 0
    assert apply_once(engine, "it", event, apply_event) is True


async def _consume_until(consumer: EventConsumer, engine, expected: int, timeout: float) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while count_rows(engine, AppliedEvent) < expected and loop.time() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # give a would-be duplicate time to show up
    finally:
        await consumer.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_redelivered_event_is_applied_once_and_poison_goes_to_the_dead_letter_topic(engine, kafka_bootstrap):
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    first, second = filed(topic, 1), filed(topic, 2)
    poison_key = f"poison-{uuid.uuid4().hex[:8]}".encode()
    producer = make_producer(kafka_bootstrap, "it-redelivery")
    await producer.start()
    try:
        for value, key in [
            (encode_event(first), first.key.encode()),
            (encode_event(first), first.key.encode()),  # redelivery, as after a crash before the offset commit
            (b"{this is not an event", poison_key),
            (encode_event(second), second.key.encode()),
        ]:
            await producer.send_and_wait(topic, value=value, key=key, partition=0)
        consumer = EventConsumer(
            bootstrap=kafka_bootstrap, group=f"it-{uuid.uuid4().hex[:6]}", topics=[topic],
            handlers={TicketFiled: apply_event}, producer=producer, engine=engine, service="it",
        )
        await consumer.start()
        await _consume_until(consumer, engine, expected=2, timeout=60)
    finally:
        await producer.stop()

    assert count_rows(engine, AppliedEvent, event_id=str(first.event_id)) == 1
    assert count_rows(engine, AppliedEvent, event_id=str(second.event_id)) == 1, "poison must not block the partition"
    assert count_rows(engine, AppliedEvent) == 2

    dlq = AIOKafkaConsumer(topic_name(DEAD_LETTER), bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    await dlq.start()
    try:
        found = None
        for _ in range(40):
            for records in (await dlq.getmany(timeout_ms=500)).values():
                found = found or next((r for r in records if r.key == poison_key), None)
            if found:
                break
    finally:
        await dlq.stop()
    assert found is not None and found.value == b"{this is not an event"
    assert b"not JSON" in dict(found.headers)["error"]


async def test_a_broker_restart_mid_stream_loses_nothing(engine, tmp_path):
    port, controller = free_port(), free_port()
    data, log = tmp_path / "kafka-data", tmp_path / "kafka.log"
    broker = start_kafka(data, port, controller, log)
    wait_kafka(broker, port)
    bootstrap = f"127.0.0.1:{port}"
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    total = 150

    producer = make_producer(bootstrap, "it-restart")
    await producer.start()
    relay = OutboxRelay(engine, producer, "it", poll_seconds=0.05)
    relay_task = asyncio.create_task(relay.run())
    consumer = EventConsumer(
        bootstrap=bootstrap, group="it-restart", topics=[topic], handlers={TicketFiled: apply_event},
        producer=producer, engine=engine, service="it",
    )
    await consumer.start()
    consumer_task = asyncio.create_task(consumer.run())
    try:
        for n in range(total):
            with transaction(engine) as session:
                record_event(session, filed(topic, n))
            relay.wake()
            if n == 50:
                await asyncio.sleep(1)
                stop_processes([broker], grace=20)  # the broker goes away mid-stream
            if n == 100:
                broker = start_kafka(data, port, controller, log)  # and comes back on the same data
                await asyncio.to_thread(wait_kafka, broker, port)
            await asyncio.sleep(0.01)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while count_rows(engine, AppliedEvent) < total and loop.time() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)
    finally:
        relay.stop()
        await consumer.stop()
        for task in (relay_task, consumer_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await producer.stop()
        stop_processes([broker], grace=20)

    assert count_rows(engine, OutboxMessage, sent_at=None) == 0, "every committed event was published"
    assert count_rows(engine, AppliedEvent) == total, "every event applied exactly once"
    with Session(engine) as session:
        distinct = session.execute(select(func.count(func.distinct(AppliedEvent.event_id)))).scalar_one()
    assert distinct == total
