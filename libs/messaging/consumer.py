"""Consumer loop: decode, apply once in a DB transaction, then commit offsets; poison goes to the DLQ."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Union

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from sqlalchemy.engine import Engine
from sqlmodel import Session
from structlog.contextvars import bound_contextvars

from libs.events import DEAD_LETTER, Envelope, EventDecodeError, decode_event, topic_name
from libs.messaging.inbox import apply_once
from libs.observability import CONSUMER_LAG, EVENTS_CONSUMED, get_logger

log = get_logger(__name__)

SyncHandler = Callable[[Session, Envelope], None]
AsyncHandler = Callable[[Envelope], Awaitable[None]]
Handler = Union[SyncHandler, AsyncHandler]


class EventConsumer:
    """Consumes `topics` as consumer group `group`; `handlers` maps event type to a function.

    Sync handlers get a Session and run inside the idempotent inbox transaction; async handlers (no DB,
    e.g. the Temporal bridge) must be idempotent themselves. Offsets are committed only after handling.
    """

    def __init__(
        self,
        *,
        bootstrap: str,
        group: str,
        topics: list[str],
        handlers: dict[str, Handler],
        producer: AIOKafkaProducer,
        engine: Engine | None = None,
        service: str,
        max_attempts: int = 5,
    ) -> None:
        self.bootstrap = bootstrap
        self.group = group
        self.topics = [topic_name(t) for t in topics]
        self.handlers = handlers
        self.producer = producer
        self.engine = engine
        self.service = service
        self.max_attempts = max_attempts
        self.consumer: AIOKafkaConsumer | None = None
        self._stopping = False

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

    async def stop(self) -> None:
        self._stopping = True
        if self.consumer is not None:
            await self.consumer.stop()

    async def _dead_letter(self, record: ConsumerRecord, error: str) -> None:
        headers = list(record.headers or []) + [
            ("error", error[:2000].encode()),
            ("source_topic", record.topic.encode()),
            ("consumer_group", self.group.encode()),
        ]
        await self.producer.send_and_wait(
            topic_name(DEAD_LETTER), value=record.value, key=record.key, headers=headers
        )
        log.error("event_dead_lettered", topic=record.topic, offset=record.offset, error=error[:500])

    async def _handle(self, record: ConsumerRecord) -> None:
        try:
            event = decode_event(record.value or b"")
        except EventDecodeError as exc:
            EVENTS_CONSUMED.labels(self.service, "invalid", "dead_lettered").inc()
            await self._dead_letter(record, str(exc))
            return
        handler = self.handlers.get(event.type)
        if handler is None:
            EVENTS_CONSUMED.labels(self.service, event.type, "ignored").inc()
            return
        with bound_contextvars(ticket_id=getattr(event, "ticket_id", None), event_id=str(event.event_id), event_type=event.type):
            for attempt in range(1, self.max_attempts + 1):
                try:
                    if asyncio.iscoroutinefunction(handler):
                        await handler(event)
                        outcome = "applied"
                    else:
                        applied = await asyncio.to_thread(apply_once, self.engine, self.group, event, handler)
                        outcome = "applied" if applied else "duplicate"
                    EVENTS_CONSUMED.labels(self.service, event.type, outcome).inc()
                    log.info("event_handled", outcome=outcome)
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered
                    if getattr(exc, "permanent", False) or attempt == self.max_attempts:
                        EVENTS_CONSUMED.labels(self.service, event.type, "dead_lettered").inc()
                        await self._dead_letter(record, f"{type(exc).__name__}: {exc}")
                        return
                    log.warning("event_handler_retry", attempt=attempt, error=str(exc))
                    await asyncio.sleep(min(0.2 * 2**attempt, 5))

    def _record_lag(self, record: ConsumerRecord) -> None:
        assert self.consumer is not None
        tp = TopicPartition(record.topic, record.partition)
        high = self.consumer.highwater(tp)
        if high is not None:
            CONSUMER_LAG.labels(self.service, record.topic, str(record.partition)).set(max(high - record.offset - 1, 0))

    async def run(self) -> None:
        """Consume until stopped; on failure rewind to the unhandled record so nothing is skipped."""
        assert self.consumer is not None, "start() first"
        while not self._stopping:
            done: dict[TopicPartition, OffsetAndMetadata] = {}
            batches: dict[TopicPartition, list[ConsumerRecord]] = {}
            try:
                batches = await self.consumer.getmany(timeout_ms=500, max_records=500)
                for tp, records in batches.items():
                    for record in records:
                        await self._handle(record)
                        done[tp] = OffsetAndMetadata(record.offset + 1, "")
                        self._record_lag(record)
                if done:
                    await self.consumer.commit(done)
            except asyncio.CancelledError:
                raise
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
