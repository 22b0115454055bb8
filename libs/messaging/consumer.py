"""Consumer loop: decode, apply once in a DB transaction, then commit offsets.

Two kinds of failure are told apart. An event that does not decode, or whose handler fails on its own logic, is
poison: it is retried `max_attempts` times and then goes to the dead-letter topic. A failure of the infrastructure
(database, broker, network, Temporal) is not the event's fault: the consumer holds the partition and retries with
backoff for as long as it takes, reporting not-ready (`blocked_by`) and the `whistle_consumer_blocked` gauge.
"""
from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Union

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session
from structlog.contextvars import bound_contextvars

from libs.events import DEAD_LETTER, Envelope, Event, EventDecodeError, decode_event, topic_name
from libs.messaging.inbox import apply_once, purge_inbox
from libs.observability import CONSUMER_BLOCKED, CONSUMER_LAG, CONSUMER_LAG_SECONDS, EVENTS_CONSUMED, INBOX_PURGED, get_logger

log = get_logger(__name__)

SyncHandler = Callable[[Session, Envelope], None]
AsyncHandler = Callable[[Envelope], Awaitable[None]]
Handler = Union[SyncHandler, AsyncHandler]
Handlers = dict[type[Envelope], Handler]

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,  # connection refused / lost, server shutting down, serialization failure
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # connection pool exhausted
    KafkaError,
    ConnectionError,  # refused, reset, aborted; a missing file or a permission error is the handler's own fault
    TimeoutError,
    socket.gaierror,  # a name that does not resolve (yet)
)


def is_infrastructure_error(exc: BaseException) -> bool:
    """True for a failure of something the handler depends on, which retrying later will cure."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT_ERRORS) or bool(getattr(exc, "transient", False))


class _Stopping(Exception):
    """Raised out of a transient-retry wait when the consumer stops: the record stays uncommitted."""


@dataclass(kw_only=True, eq=False)
class EventConsumer:
    """Consumes `topics` as consumer group `group`; `handlers` maps event class to a function.

    Sync handlers get a Session and run inside the idempotent inbox transaction; async handlers (no DB,
    e.g. the Temporal bridge) must be idempotent themselves. Offsets are committed only after handling.
    """

    bootstrap: str
    group: str
    topics: list[str]  # logical names; the run's TOPIC_PREFIX is applied
    handlers: Handlers
    producer: AIOKafkaProducer
    engine: Engine | None = None
    service: str
    max_attempts: int = 5
    is_transient: Callable[[BaseException], bool] = is_infrastructure_error
    max_backoff: float = 5.0  # an outage's end is noticed within this (the retry is one cheap connection attempt)
    inbox_keep: timedelta = timedelta(days=30)  # applied events' inbox rows older than this are purged (purge_inbox)
    purge_every: float = 3600.0  # seconds between purges; the first runs a minute after start
    after_commit: Callable[[], None] | None = None  # called after a handler's transaction committed (the relay's wake)
    consumer: AIOKafkaConsumer | None = field(default=None, init=False)
    blocked_by: str | None = field(default=None, init=False)  # the infrastructure error being waited out, if any
    _stopping: bool = field(default=False, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _next_purge: float = field(default_factory=lambda: time.monotonic() + 60, init=False)

    def __post_init__(self) -> None:
        self.topics = [topic_name(t) for t in self.topics]

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            client_id=f"{self.service}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
            session_timeout_ms=10000,  # a killed replica's partitions move on within 10 s
            heartbeat_interval_ms=3000,
        )
        await self.consumer.start()

    def request_stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def stop(self) -> None:
        self.request_stop()
        if self.consumer is not None:
            await self.consumer.stop()

    async def readiness(self) -> str | None:
        """For /readyz: not ready while an infrastructure outage holds the partitions."""
        return f"consumer waiting for infrastructure: {self.blocked_by}" if self.blocked_by else None

    async def _dead_letter(self, record: ConsumerRecord, error: str, attempts: int) -> None:
        headers = list(record.headers or []) + [
            ("error", error[:2000].encode()),
            ("source_topic", record.topic.encode()),
            ("source_partition", str(record.partition).encode()),
            ("source_offset", str(record.offset).encode()),
            ("consumer_group", self.group.encode()),
            ("attempts", str(attempts).encode()),
        ]
        await self.producer.send_and_wait(topic_name(DEAD_LETTER), value=record.value, key=record.key, headers=headers)
        log.error("event_dead_lettered", topic=record.topic, offset=record.offset, error=error[:500])

    async def _apply(self, event: Envelope, handler: Handler) -> str:
        if asyncio.iscoroutinefunction(handler):
            await handler(event)
            return "applied"
        applied = await asyncio.to_thread(apply_once, self.engine, self.group, event, handler)
        if applied and self.after_commit is not None:
            self.after_commit()  # the events the handler staged go out now, not at the relay's next idle poll
        return "applied" if applied else "duplicate"

    async def _wait_out(self, exc: BaseException, outage_attempt: int) -> None:
        """Back off during an infrastructure outage; raises _Stopping if the consumer is stopped meanwhile."""
        self.blocked_by = f"{type(exc).__name__}: {str(exc)[:200]}"
        CONSUMER_BLOCKED.labels(self.service, self.group).set(1)
        delay = min(0.2 * 2 ** min(outage_attempt, 10), self.max_backoff)
        log.warning("event_handler_waiting_for_infrastructure", attempt=outage_attempt, retry_in_s=delay, error=self.blocked_by)
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=delay)
        except asyncio.TimeoutError:
            pass
        if self._stopping:
            raise _Stopping

    def _unblock(self, outage_attempts: int) -> None:
        """An attempt got past the infrastructure (it succeeded, or failed on the event's own fault): ready again."""
        if self.blocked_by is not None:
            log.info("consumer_infrastructure_recovered", outage_attempts=outage_attempts)
            self.blocked_by = None
            CONSUMER_BLOCKED.labels(self.service, self.group).set(0)

    async def _handle(self, record: ConsumerRecord) -> None:
        try:
            event = decode_event(record.value or b"")
        except EventDecodeError as exc:
            EVENTS_CONSUMED.labels(self.service, "invalid", "dead_lettered").inc()
            await self._dead_letter(record, str(exc), attempts=1)
            return
        handler = self.handlers.get(type(event))
        if handler is None:
            EVENTS_CONSUMED.labels(self.service, event.type, "ignored").inc()
            return
        self._record_age(record)
        with bound_contextvars(ticket_id=event.ticket_id if isinstance(event, Event) else None, event_id=str(event.event_id), event_type=event.type):
            failures = outages = 0
            while True:
                try:
                    outcome = await self._apply(event, handler)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - sorted into infrastructure (wait) and poison (DLQ)
                    if self.is_transient(exc):
                        outages += 1
                        await self._wait_out(exc, outages)
                        self._record_age(record)
                        continue
                    self._unblock(outages)  # the infrastructure answered; this failure is the event's own
                    failures += 1
                    if getattr(exc, "permanent", False) or failures >= self.max_attempts:
                        EVENTS_CONSUMED.labels(self.service, event.type, "dead_lettered").inc()
                        await self._dead_letter(record, f"{type(exc).__name__}: {exc}", attempts=failures)
                        return
                    log.warning("event_handler_retry", attempt=failures, error=str(exc))
                    await asyncio.sleep(min(0.2 * 2**failures, 5))
            self._unblock(outages)
            EVENTS_CONSUMED.labels(self.service, event.type, outcome).inc()
            log.info("event_handled", outcome=outcome)

    def _record_age(self, record: ConsumerRecord | None) -> None:
        """`whistle_consumer_lag_seconds`: how old the record in hand is (0 when there is none: caught up)."""
        age = max(time.time() - record.timestamp / 1000, 0.0) if record is not None and record.timestamp else 0.0
        CONSUMER_LAG_SECONDS.labels(self.service, self.group).set(age)

    def _record_lag(self, record: ConsumerRecord) -> None:
        assert self.consumer is not None
        tp = TopicPartition(record.topic, record.partition)
        high = self.consumer.highwater(tp)
        if high is not None:
            CONSUMER_LAG.labels(self.service, record.topic, str(record.partition)).set(max(high - record.offset - 1, 0))

    async def _purge_when_due(self) -> None:
        """Hourly (between batches), the inbox rows past `inbox_keep`; a failure is logged and tried next time."""
        if self.engine is None or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.purge_every
        try:
            purged = await asyncio.to_thread(purge_inbox, self.engine, self.inbox_keep)
        except Exception as exc:  # noqa: BLE001 - housekeeping never stops consumption
            log.warning("inbox_purge_failed", error=f"{type(exc).__name__}: {exc}")
            return
        INBOX_PURGED.labels(self.service).inc(purged)
        if purged:
            log.info("inbox_purged", rows=purged, older_than_days=self.inbox_keep.days)

    async def run(self) -> None:
        """Consume until stopped; on failure rewind to the unhandled record so nothing is skipped."""
        assert self.consumer is not None, "start() first"
        while not self._stopping:
            done: dict[TopicPartition, OffsetAndMetadata] = {}
            batches: dict[TopicPartition, list[ConsumerRecord]] = {}
            try:
                batches = await self.consumer.getmany(timeout_ms=500, max_records=500)
                if not batches:
                    self._record_age(None)
                for tp, records in batches.items():
                    for record in records:
                        await self._handle(record)
                        done[tp] = OffsetAndMetadata(record.offset + 1, "")
                        self._record_lag(record)
                if done:
                    await self.consumer.commit(done)
                await self._purge_when_due()
            except asyncio.CancelledError:
                raise
            except _Stopping:
                if done:  # what was handled before the stop is committed; the rest is redelivered
                    await self.consumer.commit(done)
                return
            except Exception as exc:  # noqa: BLE001 - Kafka outage or DLQ failure: wait, then retry from the rewound offset
                log.warning("consumer_loop_error", error=f"{type(exc).__name__}: {exc}")
                for tp, records in batches.items():
                    if records:
                        self.consumer.seek(tp, done[tp].offset if tp in done else records[0].offset)
                if done:
                    try:
                        await self.consumer.commit(done)
                    except Exception:  # noqa: BLE001 - redelivery is harmless thanks to the inbox
                        pass
                await asyncio.sleep(1)
