"""Transactional outbox: the event row is written in the caller's transaction; a relay publishes it later."""
from __future__ import annotations

import asyncio
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta, timezone

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy import Column, DateTime, Index, LargeBinary, delete, func, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel

from libs.events import Envelope, encode_event
from libs.messaging.producer import send_encoded
from libs.observability import EVENTS_PRODUCED, OUTBOX_BACKLOG, get_logger

log = get_logger(__name__)
CLAIM_LOCK = 0x0B0C5  # pg_advisory_xact_lock key serialising the relays' claims on one service's outbox


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class OutboxMessage(SQLModel, table=True):
    """An event waiting to be published; `lease_until` lets several relays share the table safely."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    event_type: str = Field(max_length=100)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, default=_utcnow))
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    attempts: int = 0


def record_event(session: Session, event: Envelope) -> None:
    """Stage `event` for publication inside the caller's open transaction. Never publish directly."""
    session.add(
        OutboxMessage(
            event_id=str(event.event_id),
            topic=event.topic,
            key=event.key,
            event_type=event.type,
            payload=encode_event(event),
            created_at=_utcnow(),
        )
    )


def outbox_backlog(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).scalar_one()


@dataclass(eq=False)
class OutboxRelay:
    """Claims unsent rows (FOR UPDATE SKIP LOCKED + lease on PostgreSQL), publishes them, marks them sent."""

    engine: Engine
    producer: AIOKafkaProducer
    service: str
    _: KW_ONLY
    batch_size: int = 500
    lease: timedelta = timedelta(seconds=30)
    poll_seconds: float = 0.05
    # Idle, the poll slows down (doubling) to this: a commit in this process wakes the relay at once (`wake`), so the
    # poll only finds rows another process left (a replica that died holding a lease). 20 polls a second per idle
    # service was a steady load on a small machine running many stacks.
    idle_seconds: float = 1.0
    keep_sent: timedelta = timedelta(hours=1)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False)
    _stopping: bool = field(default=False, init=False)

    def wake(self) -> None:
        """Called after a commit (from any thread) so the new rows go out without waiting for the poll."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def _claim(self) -> list[OutboxMessage]:
        """Unsent rows in id order, leased to this relay, never a row whose key (on its topic) has an earlier unsent
        row leased to another relay: that one may be in flight, or its relay dead until the lease ends, and a later
        event of the same ticket published first would reach every consumer out of order (the chaos suite saw a
        TicketResolved published 22 s before its TicketAccepted after a kill -9, and every view refused it). On
        PostgreSQL claims are serialised by an advisory lock, so a lease being taken is always seen."""
        now = _utcnow()
        earlier = aliased(OutboxMessage)
        blocked = (
            select(earlier.id)
            .where(earlier.key == OutboxMessage.key, earlier.topic == OutboxMessage.topic, earlier.id < OutboxMessage.id)
            .where(earlier.sent_at.is_(None), earlier.lease_until >= now)
            .exists()
        )
        with Session(self.engine, expire_on_commit=False) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
            rows = list(
                session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.sent_at.is_(None))
                    .where((OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until < now))
                    .where(~blocked)
                    .order_by(OutboxMessage.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if rows:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([r.id for r in rows]))
                    .values(lease_until=now + self.lease, attempts=OutboxMessage.attempts + 1)
                )
            session.commit()
            return rows

    def _finish(self, sent_ids: list[int], failed_ids: list[int]) -> None:
        with Session(self.engine) as session:
            if sent_ids:
                session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(sent_ids)).values(sent_at=_utcnow()))
            if failed_ids:
                session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(failed_ids)).values(lease_until=None))
            session.commit()

    def _purge_sent(self) -> None:
        with Session(self.engine) as session:
            session.execute(
                delete(OutboxMessage).where(OutboxMessage.sent_at.is_not(None)).where(
                    OutboxMessage.sent_at < _utcnow() - self.keep_sent
                )
            )
            session.commit()

    async def _send(self, row: OutboxMessage) -> asyncio.Future:
        try:
            return await send_encoded(
                self.producer, topic=row.topic, key=row.key, payload=row.payload, event_type=row.event_type, event_id=row.event_id
            )
        except (KafkaError, OSError, asyncio.TimeoutError) as exc:  # not even queued: a failed send like any other
            failed: asyncio.Future = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            return failed

    async def publish_once(self) -> int:
        """One claim-publish-mark cycle; returns how many rows went out.

        Rows of one key go out one after another, each after the broker acknowledged the one before (different keys
        in parallel): when one fails, the rest of its key stay unsent, in order, for the next claim. Sending them all
        at once let a later event be acknowledged while an earlier one of the same ticket failed."""
        rows = await asyncio.to_thread(self._claim)
        if not rows:
            return 0
        by_key: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in rows:
            by_key.setdefault((row.topic, row.key), []).append(row)
        queues, sent, failed, first_error = list(by_key.values()), [], [], None
        while queues:
            heads = [queue[0] for queue in queues]
            results = await asyncio.gather(*[await self._send(row) for row in heads], return_exceptions=True)
            waiting = []
            for queue, row, result in zip(queues, heads, results):
                if isinstance(result, BaseException):
                    first_error = first_error or result
                    failed.extend(r.id for r in queue)
                    log.warning("outbox_publish_failed", event_id=row.event_id, ticket_id=row.key, error=str(result),
                                held_back=len(queue) - 1)
                    continue
                sent.append(row.id)
                EVENTS_PRODUCED.labels(self.service, row.event_type).inc()
                if len(queue) > 1:
                    waiting.append(queue[1:])
            queues = waiting
        await asyncio.to_thread(self._finish, sent, failed)
        if first_error is not None and not sent:
            raise first_error  # nothing went out: the broker is away, run() backs off
        return len(sent)

    async def run(self) -> None:
        """Publish until stopped; survives broker outages by retrying with backoff (rows stay in the table)."""
        self._loop = asyncio.get_running_loop()
        backoff = self.poll_seconds
        cycles = 0
        while not self._stopping:
            # Cleared before the cycle, not after: a wake during it (a commit, stop()) then ends the wait below at
            # once. Cleared after, it was lost, and the row (or the stop) waited for the next poll; with an idle poll
            # of a second that showed (a stopped relay that did not stop).
            self._wake.clear()
            try:
                published = await self.publish_once()
                backoff = self.poll_seconds if published else min(max(backoff, self.poll_seconds) * 2, self.idle_seconds)
                cycles += 1
                if cycles % 200 == 0:
                    await asyncio.to_thread(self._purge_sent)
                    OUTBOX_BACKLOG.labels(self.service).set(await asyncio.to_thread(outbox_backlog, self.engine))
                if published:
                    continue
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                log.warning("outbox_relay_kafka_unavailable", error=str(exc))
                backoff = min(backoff * 2 if backoff else 0.1, 5.0)
            except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError) as exc:
                # The database is down or restarting: the rows wait in it; not a bug, so no traceback.
                log.warning("outbox_relay_database_unavailable", error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                backoff = min(max(backoff, 0.1) * 2, 5.0)
            except Exception:  # noqa: BLE001 - keep relaying; the row stays until it goes out
                log.exception("outbox_relay_error")
                backoff = min(max(backoff, 0.1) * 2, 5.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            except asyncio.TimeoutError:
                pass

    def stop(self) -> None:
        self._stopping = True
        self.wake()
