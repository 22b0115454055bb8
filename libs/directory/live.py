"""The directory in force in this process: the file (config/district.yaml, version 0) until an admin publishes a
version (`DirectoryPublished` on the `config` topic); every process applies each publication in the topic's order
(`follow`, no consumer group: each process needs all of it), so all of them end on the same reference data.

A publication that does not validate here is logged and skipped; an older or equal version than the one in force is
ignored (a replayed topic never goes back)."""
from __future__ import annotations

import asyncio
import contextlib
import threading
from datetime import datetime

from pydantic import BaseModel, ValidationError

from libs.directory import Directory, load_directory
from libs.observability import get_logger

log = get_logger(__name__)
CATCH_UP_SECONDS = 10.0


class DirectoryInForce(BaseModel):
    version: int
    source: str  # "file" or "published"
    published_by: str | None = None
    published_at: datetime | None = None
    change: str | None = None


class _Current:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.directory: Directory | None = None
        self.info = DirectoryInForce(version=0, source="file")


_current = _Current()


def current() -> Directory:
    directory = _current.directory
    if directory is None:
        with _current.lock:
            if _current.directory is None:
                _current.directory = load_directory()
            directory = _current.directory
    return directory


def in_force() -> DirectoryInForce:
    current()
    return _current.info


def reset_to_file() -> None:
    """Start afresh from the file (tests; a process that must forget publications)."""
    with _current.lock:
        _current.directory, _current.info = load_directory(), DirectoryInForce(version=0, source="file")


def apply(event: object) -> bool:
    """A DirectoryPublished newer than the version in force replaces the directory; True when applied."""
    from libs.events import DirectoryPublished

    if not isinstance(event, DirectoryPublished) or event.directory_version <= in_force().version:
        return False
    try:
        directory = Directory.model_validate(event.document)
    except ValidationError as exc:
        log.error("directory_rejected", version=event.directory_version, error=str(exc))
        return False
    with _current.lock:
        _current.directory = directory
        _current.info = DirectoryInForce(
            version=event.directory_version, source="published", published_by=event.actor.id,
            published_at=event.occurred_at, change=event.change,
        )
    log.info("directory_applied", version=event.directory_version, change=event.change)
    return True


def adopt(version: int, document: dict, *, published_by: str | None = None, change: str | None = None) -> bool:
    """A version read from the service that stores them (the portal asks dispatch's GET /directory instead of
    following Kafka): applied like a publication when newer than the one in force."""
    from libs.events import Actor, DirectoryPublished

    if version <= in_force().version:
        return False
    event = DirectoryPublished(
        actor=Actor(role="admin", id=published_by or "unknown"), directory_version=version, document=document,
        change=change or f"版本 {version}",
    )
    return apply(event)


async def follow(bootstrap: str, caught_up: asyncio.Event, stop: asyncio.Event) -> None:
    """Read the config topic from the start, then keep following it; `caught_up` once the start's end is reached."""
    from aiokafka import AIOKafkaConsumer

    from libs.events import CONFIG, EventDecodeError, decode_event, topic_name

    consumer = AIOKafkaConsumer(
        topic_name(CONFIG), bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = list(consumer.assignment())
        for _ in range(15):  # a topic that exists is assigned within ~0.5 s; a missing one never is
            if partitions:
                break
            await asyncio.sleep(0.1)
            partitions = list(consumer.assignment())
        end = await consumer.end_offsets(partitions) if partitions else {}
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    with contextlib.suppress(EventDecodeError):
                        apply(decode_event(record.value or b""))
            if not caught_up.is_set() and all([await consumer.position(tp) >= off for tp, off in end.items()]):
                caught_up.set()
    finally:
        caught_up.set()
        await consumer.stop()


async def follow_for_ever(bootstrap: str, caught_up: asyncio.Event, stop: asyncio.Event) -> None:
    """`follow`, restarted after a broker outage: the directory stays as it was meanwhile."""
    while not stop.is_set():
        try:
            await follow(bootstrap, caught_up, stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Kafka unavailable: keep the directory, try again
            log.warning("directory_follow_failed", error=str(exc))
            caught_up.set()
            await asyncio.sleep(2)


async def start_following(bootstrap: str, stop: asyncio.Event) -> asyncio.Task[None]:
    """Start following the config topic; returns once caught up (at most CATCH_UP_SECONDS)."""
    caught_up = asyncio.Event()
    task = asyncio.create_task(follow_for_ever(bootstrap, caught_up, stop), name="directory-follower")
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(caught_up.wait(), CATCH_UP_SECONDS)
    return task
