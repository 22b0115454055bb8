"""Following the `config` topic, where admins publish reference data (the directory, grid boundaries, the SLA policy
and the working calendar). Every process needs all of it, so it reads without a consumer group: from the topic's
start, then on as new publications arrive, handing each event to `apply` in the topic's order. The appliers ignore a
version they already have, so reading the topic again after a broker outage ends on the same data.

One follower for every holder of reference data (libs/directory/live.py, services/intake/boundaries.py, the worker's
SlaSource), so a fix to how the topic is read is made once."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer

from libs.events import CONFIG, Envelope, EventDecodeError, decode_event, topic_name
from libs.messaging.positions import reached
from libs.observability import get_logger

log = get_logger(__name__)

Apply = Callable[[Envelope], object]
CATCH_UP_SECONDS = 10.0
RETRY_SECONDS = 2.0


async def _partitions(consumer: AIOKafkaConsumer) -> list:
    for _ in range(15):  # a topic that exists is assigned within ~0.5 s; a missing one (nothing published yet) never is
        if consumer.assignment():
            return list(consumer.assignment())
        await asyncio.sleep(0.1)
    return []


def _apply_one(apply: Apply, value: bytes) -> None:
    """One record: skipped when it is not an event; an applier's error is logged and the next record read (one bad
    publication must not hold back the ones after it, nor loop the follower over it)."""
    try:
        event = decode_event(value)
    except EventDecodeError:
        return
    try:
        apply(event)
    except Exception as exc:  # noqa: BLE001 - logged; the appliers validate what they keep
        log.error("config_apply_failed", event_type=event.type, event_id=str(event.event_id), error=f"{type(exc).__name__}: {exc}")


async def follow(bootstrap: str, apply: Apply, caught_up: asyncio.Event, stop: asyncio.Event) -> None:
    """Read the config topic from the start, then keep following it until `stop`; `caught_up` is set once the end
    the topic had at the start is reached (at once when the topic does not exist yet). Undecodable records are
    skipped (_apply_one); a broker error ends the call (follow_for_ever starts it again)."""
    consumer = AIOKafkaConsumer(
        topic_name(CONFIG), bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = await _partitions(consumer)
        end = await consumer.end_offsets(partitions) if partitions else {}
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    _apply_one(apply, record.value or b"")
            if not caught_up.is_set() and await reached(consumer, end):
                caught_up.set()
    finally:
        caught_up.set()
        await consumer.stop()


async def follow_for_ever(bootstrap: str, apply: Apply, caught_up: asyncio.Event, stop: asyncio.Event, *, name: str) -> None:
    """`follow`, started again after a broker outage; what was applied stays in force meanwhile."""
    while not stop.is_set():
        try:
            await follow(bootstrap, apply, caught_up, stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Kafka unavailable: keep the reference data, try again
            log.warning("config_follow_failed", follower=name, error=f"{type(exc).__name__}: {exc}")
            caught_up.set()
            await asyncio.sleep(RETRY_SECONDS)


async def start_following(
    bootstrap: str, apply: Apply, stop: asyncio.Event, *, name: str, catch_up_seconds: float = CATCH_UP_SECONDS
) -> asyncio.Task[None]:
    """Follow the config topic in a task named `name`; returns once caught up (at most `catch_up_seconds`: a process
    whose broker is away starts on what it has, and applies the rest when the broker is back)."""
    caught_up = asyncio.Event()
    task = asyncio.create_task(follow_for_ever(bootstrap, apply, caught_up, stop, name=name), name=name)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(caught_up.wait(), catch_up_seconds)
    return task
