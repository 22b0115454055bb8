"""EventConsumer failure handling against real PostgreSQL and Kafka.

An infrastructure outage is not the event's fault: the consumer holds the partition, reports not-ready and applies
everything exactly once afterwards, whatever the outage's length, and dead-letters nothing. Poison is the event's
fault: a handler that fails on its own logic is tried `max_attempts` times, an undecodable record once, and both go
to the dead-letter topic with headers that say where they came from, without blocking the partition. A consumer
stopped while it waits out an outage leaves the record uncommitted, so the next consumer of the group gets it.

Every wait is on an observable condition (rows applied, offsets committed, a dead letter on the topic) with a
generous timeout; the only sleeps pace the event stream and hold the database down for the outage's length.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select
from sqlmodel import Session

from deploy.postgres import TempPostgres
from deploy.procs import ManagedProcess, free_port, port_open, wait_until
from libs.db import ensure_database, make_engine
from libs.events import DEAD_LETTER, Actor, Event, TicketFiled, encode_event, topic_name
from libs.messaging import EventConsumer, InboxEntry, is_infrastructure_error, make_producer, send_encoded

CONSUMER_HEADERS = {"error", "source_topic", "source_partition", "source_offset", "consumer_group", "attempts"}

# One row per application (no unique constraint): applying an event twice would show up as a second row.
_META = MetaData()
APPLIED = Table(
    "it_consumer_applied",
    _META,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("ticket_id", String(40), nullable=False),
)


def apply_event(session: Session, event: Event) -> None:
    session.execute(APPLIED.insert().values(event_id=str(event.event_id), ticket_id=event.ticket_id))


def prepare_database(url: str):
    ensure_database(url)
    engine = make_engine(url)
    _META.create_all(engine)
    InboxEntry.__table__.create(engine, checkfirst=True)
    return engine


@pytest.fixture
def engine(postgres_url):
    engine = prepare_database(f"{postgres_url}_cf_{uuid.uuid4().hex[:8]}")
    yield engine
    engine.dispose()


def applied_counts(engine) -> Counter[str]:
    with Session(engine) as session:
        rows = session.execute(select(APPLIED.c.event_id, func.count()).group_by(APPLIED.c.event_id)).all()
    return Counter(dict(rows))


def inbox_ids(engine, group: str) -> set[str]:
    with Session(engine) as session:
        return set(session.execute(select(InboxEntry.event_id).where(InboxEntry.consumer == group)).scalars())


def filed(n: int = 0) -> TicketFiled:
    return TicketFiled(
        ticket_id=f"T-{uuid.uuid4().hex[:10]}", actor=Actor(role="resident", id="r-1"),
        title=f"测试诉求 {n}", description="consumer failure test", category="road", community_id="xinran",
    )


def blocked_gauge(service: str) -> float | None:
    """The service's `whistle_consumer_blocked` (one consumer group per service in these tests)."""
    values = [
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "whistle_consumer_blocked"
        for sample in metric.samples
        if sample.labels.get("service") == service
    ]
    return max(values) if values else None


async def eventually(condition: Callable[[], object], what: str, timeout: float = 120, interval: float = 0.2):
    """Poll `condition` (sync, run in a thread so the event loop keeps heartbeating, or async) until truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if inspect.iscoroutinefunction(condition):
            value = await condition()
        else:
            value = await asyncio.to_thread(condition)
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


async def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """{partition: committed offset} of `group` on `topic` (partitions without a commit are absent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset >= 0}


async def dead_letters_from(bootstrap: str, source_topic: str) -> list:
    """Every record on the dead-letter topic, up to its current end, whose `source_topic` header is `source_topic`."""
    dlq = topic_name(DEAD_LETTER)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(dlq) or set()
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - the topic may be newer than our metadata
            partitions = consumer.partitions_for_topic(dlq) or set()
        tps = [TopicPartition(dlq, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += [r for r in records if r.offset < ends[TopicPartition(r.topic, r.partition)]
                          and dict(r.headers).get("source_topic") == source_topic.encode()]
        return found
    finally:
        await consumer.stop()


@pytest.fixture
async def kafka(kafka_bootstrap):
    """(bootstrap, unique topic name factory, started idempotent producer); the DLQ topic exists."""
    await create_topic(kafka_bootstrap, topic_name(DEAD_LETTER), 6)
    producer = make_producer(kafka_bootstrap, "it-consumer-failures")
    await producer.start()
    try:
        yield kafka_bootstrap, producer
    finally:
        await producer.stop()


async def send(producer, topic: str, event: Event):
    """Publish like the relay does (event_type / event_id headers); returns the record's metadata."""
    ack = await send_encoded(producer, topic=topic, key=event.key, payload=encode_event(event),
                             event_type=event.type, event_id=str(event.event_id))
    return await ack


class RunningConsumer:
    """An EventConsumer with its run() task; stop() stops it and hands back how run() ended."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer
        self.task: asyncio.Task | None = None

    async def start(self) -> "RunningConsumer":
        await self.consumer.start()
        self.task = asyncio.create_task(self.consumer.run())
        return self

    async def stop(self) -> BaseException | None:
        """Stop the consumer; the exception run() ended with (None when it returned cleanly)."""
        assert self.task is not None
        await self.consumer.stop()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout=60)
        except asyncio.TimeoutError:
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task
            return AssertionError("run() did not return within 60 s of stop()")
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            return exc
        return None


def consumer_for(bootstrap, producer, engine, topic, handlers, **kwargs) -> tuple[EventConsumer, str, str]:
    group = kwargs.pop("group", None) or f"it-cf-{uuid.uuid4().hex[:8]}"
    service = f"it-cf-{uuid.uuid4().hex[:8]}"
    consumer = EventConsumer(bootstrap=bootstrap, group=group, topics=[topic], handlers=handlers,
                             producer=producer, engine=engine, service=service, **kwargs)
    return consumer, group, service


# --------------------------------------------------------------------------- (a) a database outage


class RestartablePostgres:
    """A throwaway cluster of our own (deploy.postgres) that the test stops and starts on the same port and data."""

    def __init__(self, pg: TempPostgres) -> None:
        self.pg = pg
        assert pg.proc is not None
        self.cmd = list(pg.proc.cmd)

    def stop_server(self) -> None:
        """Fast shutdown, as `pg_ctl stop -m fast` does it (SIGINT): clients are disconnected, the server exits."""
        proc = self.pg.proc
        assert proc is not None
        proc.signal(signal.SIGINT)
        if not proc.wait(60):
            raise AssertionError("PostgreSQL did not shut down within 60 s")
        proc.close_log()
        wait_until(lambda: not port_open("127.0.0.1", self.pg.port), 30, 0.2, "the PostgreSQL port to close")

    def start_server(self) -> None:
        assert self.pg.dir is not None
        self.pg.proc = ManagedProcess(
            "postgres", self.cmd, self.pg.dir / "postgres.log", cwd=self.pg.dir, user=self.pg.user
        ).start()
        wait_until(self.pg._ready, 120, 0.2, f"PostgreSQL back on port {self.pg.port}", self.pg._check)  # noqa: SLF001


@pytest.fixture
def own_postgres():
    """A dedicated cluster: stopping it disturbs no other test's database."""
    pg = TempPostgres()
    pg.start()
    try:
        yield RestartablePostgres(pg)
    finally:
        pg.stop()


async def test_a_ten_second_database_outage_dead_letters_nothing_and_applies_every_event_once(kafka, own_postgres):
    bootstrap, producer = kafka
    engine = prepare_database(own_postgres.pg.url.rsplit("/", 1)[0] + "/outage")
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    await create_topic(bootstrap, topic, 3)

    classified: list[tuple[str, bool]] = []

    def is_transient(exc: BaseException) -> bool:
        verdict = is_infrastructure_error(exc)
        classified.append((f"{type(exc).__name__}: {exc}", verdict))
        return verdict

    consumer, group, service = consumer_for(
        bootstrap, producer, engine, topic, {TicketFiled: apply_event}, is_transient=is_transient, max_backoff=1.0
    )
    running = await RunningConsumer(consumer).start()

    phase = "up"
    sent: list[tuple[str, str]] = []  # (event id, phase when sent)
    samples: list[tuple[str, str | None, float | None]] = []  # (phase, readiness(), gauge)
    streaming = True

    async def stream() -> None:
        n = 0
        while streaming:
            event = filed(n)
            await send(producer, topic, event)
            sent.append((str(event.event_id), phase))
            n += 1
            await asyncio.sleep(0.05)

    async def sample() -> None:
        while True:
            samples.append((phase, await consumer.readiness(), blocked_gauge(service)))
            await asyncio.sleep(0.1)

    streamer, sampler = asyncio.create_task(stream()), asyncio.create_task(sample())
    loop = asyncio.get_running_loop()
    try:
        await eventually(lambda: sum(applied_counts(engine).values()) >= 20, "the first events to be applied")

        phase = "stopping"
        await asyncio.to_thread(own_postgres.stop_server)
        phase = "down"
        down_at = loop.time()
        await eventually(
            lambda: consumer.blocked_by is not None or not all(verdict for _, verdict in classified),
            "the consumer to notice the outage", timeout=60,
        )
        assert all(verdict for _, verdict in classified), f"an outage taken for the event's fault: {classified}"
        blocked_at = loop.time()
        # Hold the database down for the outage's length: at least 10 s, and well past the old five retries.
        await asyncio.sleep(max(down_at + 10 - loop.time(), blocked_at + 8 - loop.time(), 0))
        assert own_postgres.pg.proc is not None and not own_postgres.pg.proc.alive()

        phase = "restarting"
        await asyncio.to_thread(own_postgres.start_server)
        phase = "up again"
        await eventually(lambda: sum(1 for _, p in sent if p == "up again") >= 20, "events sent after the restart")
        streaming = False
        await streamer

        expected = {event_id for event_id, _ in sent}
        await eventually(lambda: set(applied_counts(engine)) >= expected, "every event to be applied", timeout=240)
        # Settled: every partition's offset is committed to the end, so no redelivery is still on its way.
        await _wait_committed_total(bootstrap, group, topic, len(sent))
        ready_after = await consumer.readiness()
        gauge_after = blocked_gauge(service)
    finally:
        streaming = False
        sampler.cancel()
        with contextlib.suppress(BaseException):
            await streamer
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        stop_error = await running.stop()
        engine.dispose()

    counts = await asyncio.to_thread(applied_counts, engine)
    inbox = await asyncio.to_thread(inbox_ids, engine, group)
    assert sum(1 for _, p in sent if p == "down") > 0, "events kept arriving during the outage"
    assert set(counts) == expected and all(c == 1 for c in counts.values()), (
        f"every event applied exactly once: {len(expected)} sent, {len(counts)} applied, "
        f"duplicates {[e for e, c in counts.items() if c > 1]}"
    )
    assert inbox == expected
    assert await dead_letters_from(bootstrap, topic) == [], "no valid event may be dead-lettered by an outage"

    verdicts = [v for _, v in classified]
    assert all(verdicts), f"every failure was an outage, none the event's fault: {[e for e, v in classified if not v]}"
    assert len(classified) > consumer.max_attempts, f"the outage outlasted max_attempts retries ({len(classified)})"

    down = [(r, g) for p, r, g in samples if p == "down"]
    first_blocked = next((i for i, (r, _) in enumerate(down) if r is not None), None)
    assert first_blocked is not None, "readiness() reported not-ready during the outage"
    assert all(r is not None and g == 1 for r, g in down[first_blocked:]), "not ready for the rest of the outage"
    assert "OperationalError" in down[-1][0]
    assert ready_after is None and gauge_after == 0, (ready_after, gauge_after)
    assert stop_error is None, repr(stop_error)


async def _wait_committed_total(bootstrap: str, group: str, topic: str, total: int) -> None:
    async def all_committed() -> bool:
        return sum((await committed_offsets(bootstrap, group, topic)).values()) >= total

    await eventually(all_committed, f"{total} offsets committed by the group", timeout=120, interval=0.5)


def refused_connection_engine():
    """An engine whose every connection is refused: nothing listens on its port (a real psycopg OperationalError)."""
    return create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere", pool_pre_ping=True)


# --------------------------------------------------------------------------- (b) a handler's own logic error


async def test_a_handler_logic_error_is_tried_five_times_then_dead_lettered_and_the_next_event_goes_on(kafka, engine):
    bootstrap, producer = kafka
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    await create_topic(bootstrap, topic, 1)
    bad, good = filed(1), filed(2)
    calls: list[str] = []

    def handler(session: Session, event: Event) -> None:
        calls.append(str(event.event_id))
        apply_event(session, event)  # written, then rolled back with the failure
        if event.event_id == bad.event_id:
            raise ValueError(f"no community for ticket {event.ticket_id}")

    bad_at = await send(producer, topic, bad)
    await send(producer, topic, good)
    consumer, group, service = consumer_for(bootstrap, producer, engine, topic, {TicketFiled: handler})
    readiness: list[str | None] = []

    async def sample() -> None:
        while True:
            readiness.append(await consumer.readiness())
            await asyncio.sleep(0.1)

    running = await RunningConsumer(consumer).start()
    sampler = asyncio.create_task(sample())
    try:
        await _wait_committed_total(bootstrap, group, topic, 2)
        letters = await eventually(partial(dead_letters_from, bootstrap, topic), "the dead letter", timeout=60)
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        stop_error = await running.stop()

    assert calls == [str(bad.event_id)] * 5 + [str(good.event_id)], "five tries, then straight on to the next event"
    counts = await asyncio.to_thread(applied_counts, engine)
    assert counts == Counter({str(good.event_id): 1}), "the failed tries left nothing behind"
    assert await asyncio.to_thread(inbox_ids, engine, group) == {str(good.event_id)}

    assert len(letters) == 1
    letter = letters[0]
    assert letter.key == bad.key.encode() and letter.value == encode_event(bad), "the record as it was consumed"
    assert sorted(name for name, _ in letter.headers) == sorted(CONSUMER_HEADERS | {"event_type", "event_id"})
    assert dict(letter.headers) == {
        "event_type": b"TicketFiled",
        "event_id": str(bad.event_id).encode(),
        "error": f"ValueError: no community for ticket {bad.ticket_id}".encode(),
        "source_topic": topic.encode(),
        "source_partition": b"0",
        "source_offset": str(bad_at.offset).encode(),
        "consumer_group": group.encode(),
        "attempts": b"5",
    }
    assert readiness and all(r is None for r in readiness), "the event's own fault never makes the consumer not-ready"
    assert blocked_gauge(service) in (None, 0)
    assert stop_error is None, repr(stop_error)


# --------------------------------------------------------------------------- (c) an undecodable record


async def test_an_undecodable_record_is_dead_lettered_after_one_attempt_without_blocking_the_partition(kafka, engine):
    bootstrap, producer = kafka
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    await create_topic(bootstrap, topic, 1)
    good = filed(1)
    poison = [
        (b"poison-json", b"{this is not an event", "not JSON: "),
        (b"poison-type", b'{"type": "NoSuchEvent", "version": 1}', "unknown event type 'NoSuchEvent'"),
    ]
    calls: list[str] = []

    def handler(session: Session, event: Event) -> None:
        calls.append(str(event.event_id))
        apply_event(session, event)

    offsets = {}
    for key, value, _ in poison:
        offsets[key] = (await producer.send_and_wait(topic, value=value, key=key)).offset
    await send(producer, topic, good)
    consumer, group, service = consumer_for(bootstrap, producer, engine, topic, {TicketFiled: handler})
    running = await RunningConsumer(consumer).start()
    try:
        await _wait_committed_total(bootstrap, group, topic, 3)
        letters = await eventually(partial(dead_letters_from, bootstrap, topic), "the dead letters", timeout=60)
        ready = await consumer.readiness()
    finally:
        stop_error = await running.stop()

    assert calls == [str(good.event_id)], "the handler never saw the poison and the event behind it went through"
    assert await asyncio.to_thread(applied_counts, engine) == Counter({str(good.event_id): 1})
    assert sorted(letter.key for letter in letters) == sorted(key for key, _, _ in poison)
    for letter in letters:
        key, value, error = next(p for p in poison if p[0] == letter.key)
        headers = dict(letter.headers)
        assert letter.value == value
        assert sorted(name for name, _ in letter.headers) == sorted(CONSUMER_HEADERS)
        assert headers["error"].decode().startswith(error), headers["error"]
        assert headers["attempts"] == b"1"
        assert headers["source_topic"] == topic.encode()
        assert headers["source_partition"] == b"0"
        assert headers["source_offset"] == str(offsets[key]).encode()
        assert headers["consumer_group"] == group.encode()
    assert ready is None and blocked_gauge(service) in (None, 0)
    assert stop_error is None, repr(stop_error)


# --------------------------------------------------------------------------- (d) stopped during an outage


async def test_a_consumer_stopped_while_waiting_out_an_outage_leaves_the_record_to_the_next_consumer(kafka, engine):
    bootstrap, producer = kafka
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    await create_topic(bootstrap, topic, 1)
    before, stuck, after = filed(1), filed(2), filed(3)
    for event in (before, stuck, after):
        await send(producer, topic, event)
    unreachable = refused_connection_engine()
    group = f"it-cf-{uuid.uuid4().hex[:8]}"
    first_calls: list[str] = []

    def handler_during_outage(session: Session, event: Event) -> None:
        first_calls.append(str(event.event_id))
        if event.event_id == stuck.event_id:
            with unreachable.connect():  # e.g. a second database the handler needs is down
                pass
        apply_event(session, event)

    first, _, first_service = consumer_for(
        bootstrap, producer, engine, topic, {TicketFiled: handler_during_outage}, group=group, max_backoff=0.5
    )
    running = await RunningConsumer(first).start()
    try:
        await eventually(lambda: first_calls.count(str(stuck.event_id)) >= 3, "the consumer to retry the stuck event")
        not_ready = await first.readiness()
        gauge_blocked = blocked_gauge(first_service)
    finally:
        stop_error = await running.stop()
        unreachable.dispose()

    assert not_ready is not None and "OperationalError" in not_ready and gauge_blocked == 1
    assert stop_error is None, f"run() must end cleanly on stop(): {stop_error!r}"
    assert set(first_calls) == {str(before.event_id), str(stuck.event_id)}, "the partition was held at the stuck event"
    assert await committed_offsets(bootstrap, group, topic) == {0: 1}, "handled: committed; stuck: not"
    assert await asyncio.to_thread(applied_counts, engine) == Counter({str(before.event_id): 1})

    second_calls: list[str] = []

    def handler(session: Session, event: Event) -> None:
        second_calls.append(str(event.event_id))
        apply_event(session, event)

    second, _, _ = consumer_for(bootstrap, producer, engine, topic, {TicketFiled: handler}, group=group)
    running = await RunningConsumer(second).start()
    try:
        await _wait_committed_total(bootstrap, group, topic, 3)
    finally:
        stop_error = await running.stop()

    assert second_calls == [str(stuck.event_id), str(after.event_id)], "redelivered from the stuck event on"
    assert await asyncio.to_thread(applied_counts, engine) == Counter(
        {str(before.event_id): 1, str(stuck.event_id): 1, str(after.event_id): 1}
    )
    assert await dead_letters_from(bootstrap, topic) == []
    assert stop_error is None, repr(stop_error)


# --------------------------------------------------------------------------- an outage, then poison


async def test_an_event_found_poison_after_an_outage_is_dead_lettered_and_the_consumer_is_ready_again(kafka, engine):
    """The outage's retries do not eat the event's five tries, and once the infrastructure answers again the
    consumer reports ready, even when the event it was holding turns out to be poison and nothing follows it."""
    bootstrap, producer = kafka
    topic = f"it-{uuid.uuid4().hex[:8]}.tickets"
    await create_topic(bootstrap, topic, 1)
    event = filed(1)
    at = await send(producer, topic, event)
    unreachable = refused_connection_engine()
    calls: list[str] = []

    def handler(session: Session, ev: Event) -> None:
        calls.append("outage" if len(calls) < 3 else "logic")
        if calls[-1] == "outage":
            with unreachable.connect():
                pass
        raise ValueError("category 'road' has no default department")

    consumer, group, service = consumer_for(
        bootstrap, producer, engine, topic, {TicketFiled: handler}, max_backoff=0.5
    )
    running = await RunningConsumer(consumer).start()
    try:
        await _wait_committed_total(bootstrap, group, topic, 1)
        letters = await eventually(partial(dead_letters_from, bootstrap, topic), "the dead letter", timeout=60)
        ready = await consumer.readiness()
        gauge = blocked_gauge(service)
    finally:
        stop_error = await running.stop()
        unreachable.dispose()

    assert calls == ["outage"] * 3 + ["logic"] * 5
    assert len(letters) == 1
    headers = dict(letters[0].headers)
    assert headers["attempts"] == b"5" and headers["source_offset"] == str(at.offset).encode()
    assert headers["error"] == b"ValueError: category 'road' has no default department"
    assert ready is None, f"the database answers again, yet the consumer says: {ready}"
    assert gauge == 0
    assert stop_error is None, repr(stop_error)
