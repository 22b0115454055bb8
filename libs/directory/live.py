"""The directory in force in this process: the file (config/district.yaml, version 0) until an admin publishes a
version (`DirectoryPublished` on the `config` topic); every process applies each publication in the topic's order
(libs/messaging/config_topic.py: no consumer group, each process needs all of it), so all of them end on the same reference data.

A publication that does not validate here is logged and skipped; an older or equal version than the one in force is
ignored (a replayed topic never goes back)."""
from __future__ import annotations

import asyncio
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


async def start_following(bootstrap: str, stop: asyncio.Event) -> asyncio.Task[None]:
    """Follow the config topic (libs/messaging/config_topic.py); returns once caught up (at most CATCH_UP_SECONDS)."""
    from libs.messaging.config_topic import start_following as follow_config

    return await follow_config(bootstrap, apply, stop, name="directory-follower", catch_up_seconds=CATCH_UP_SECONDS)
