"""The sender: claims due messages (FOR UPDATE SKIP LOCKED plus a lease, so replicas share the queue), holds SMS
during quiet hours unless the ticket is an emergency, sends through the message's channel, and on failure tries
again with doubling delays until `max_attempts`, when the message is dead-lettered for staff to see and retry.

A message is sent at least once: a process killed between the provider's answer and the status update sends it
again after the lease (the inbox alone is exactly once, by its unique message id)."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from libs.db import transaction
from libs.observability import get_logger
from libs.pii import get_vault
from services.notify import documents
from services.notify.channels import Channel, ChannelError, NotifySettings, Outgoing
from services.notify.domain import quiet_until, retry_delay
from services.notify.models import NotifyContact, NotifyMessage

log = get_logger(__name__)
DUE = ("pending", "deferred", "retry")
BATCH = 50


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Claimed:
    outgoing: Outgoing
    channel: str
    emergency: bool
    attempts: int


class Deliverer:
    """One per notify process, started in its lifespan; `clock` is injectable (quiet-hours tests)."""

    def __init__(self, engine: Engine, channels: dict[str, Channel], settings: NotifySettings, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.channels, self.settings, self.clock = engine, channels, settings, clock
        self._stopping = False
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                handled = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be away; try again on the next tick
                log.warning("notify_delivery_loop_error", error=f"{type(exc).__name__}: {exc}")
                handled = 0
            if handled:
                continue
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_seconds)

    async def release(self) -> None:
        """On shutdown: messages claimed but not sent go back to the queue at once (not after the lease)."""
        ids = sorted(self._in_flight)
        if not ids:
            return

        def clear() -> None:
            with transaction(self.engine) as session:
                for row in session.exec(select(NotifyMessage).where(col(NotifyMessage.id).in_(ids))).all():
                    row.lease_until = None

        await asyncio.to_thread(clear)
        self._in_flight.clear()

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many messages were tried."""
        claimed = await asyncio.to_thread(self._claim)
        for job in claimed:
            if self._stopping:
                break
            await self._deliver(job)
            self._in_flight.discard(job.outgoing.message_id)
        return len(claimed)

    def _claim(self) -> list[Claimed]:
        now = self.clock()
        with transaction(self.engine) as session:
            query = (
                select(NotifyMessage)
                .where(col(NotifyMessage.status).in_(DUE), NotifyMessage.next_attempt_at <= now)
                .where(or_(col(NotifyMessage.lease_until).is_(None), col(NotifyMessage.lease_until) < now))
                .order_by(col(NotifyMessage.next_attempt_at), col(NotifyMessage.id))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            rows = session.exec(query).all()
            if not rows:
                return []
            signature = documents.current_templates(session).sms_signature
            claimed = []
            for row in rows:
                row.lease_until = now + timedelta(seconds=self.settings.lease_seconds)
                assert row.id is not None
                self._in_flight.add(row.id)
                outgoing = Outgoing(
                    message_id=row.id, person_id=row.person_id, ticket_id=row.ticket_id, template=row.template,
                    to=self._address(session, row), title=row.title, body=row.body, sms_signature=signature,
                )
                claimed.append(Claimed(outgoing, row.channel, row.emergency, row.attempts))
            return claimed

    @staticmethod
    def _address(session: Session, row: NotifyMessage) -> str | None:
        """The real address at send time: the phone is decrypted here only; the others are the logged address."""
        if row.channel != "sms":
            return row.address
        contact = session.get(NotifyContact, row.person_id)
        if contact is None or not contact.phone_token:
            return None
        return get_vault().decrypt(contact.phone_token)

    async def _deliver(self, job: Claimed) -> None:
        now = self.clock()
        if job.channel == "sms" and not job.emergency:
            until = quiet_until(now, self.settings.quiet_start_hour, self.settings.quiet_end_hour)
            if until is not None:
                await asyncio.to_thread(self._finish, job, status="deferred", next_attempt_at=until, error="免打扰时段，早上发送")
                return
        channel = self.channels.get(job.channel)
        try:
            if channel is None:
                raise ChannelError(f"channel {job.channel} is not configured on this service", permanent=True)
            provider_id = await channel.send(job.outgoing)
        except ChannelError as exc:
            attempts = job.attempts + 1
            dead = exc.permanent or attempts >= self.settings.max_attempts
            delay = retry_delay(attempts, self.settings.retry_base_seconds, self.settings.retry_max_seconds)
            log.warning("notify_send_failed", message_id=job.outgoing.message_id, channel=job.channel, attempts=attempts, dead=dead, error=str(exc)[:200])
            await asyncio.to_thread(
                self._finish, job, status="dead" if dead else "retry", attempts=attempts,
                next_attempt_at=now + timedelta(seconds=delay), error=str(exc)[:500],
            )
            return
        await asyncio.to_thread(self._finish, job, status="sent", attempts=job.attempts + 1, provider_id=provider_id[:120], sent_at=self.clock())
        log.info("notify_sent", message_id=job.outgoing.message_id, channel=job.channel, template=job.outgoing.template)

    def _finish(self, job: Claimed, *, status: str, attempts: int | None = None, next_attempt_at: datetime | None = None,
                error: str | None = None, provider_id: str | None = None, sent_at: datetime | None = None) -> None:
        with transaction(self.engine) as session:
            row = session.get(NotifyMessage, job.outgoing.message_id)
            if row is None:
                return
            row.status, row.lease_until = status, None
            if attempts is not None:
                row.attempts = attempts
            if next_attempt_at is not None:
                row.next_attempt_at = next_attempt_at
            if error is not None:
                row.last_error = error
            if provider_id is not None:
                row.provider_id, row.last_error = provider_id, None
            if sent_at is not None:
                row.sent_at = sent_at
            session.add(row)
