"""The grid boundaries this intake process places filings by: the shipped file (config/grids.geojson, GRIDS_FILE
overrides) until an admin publishes new ones. A publication is a `GridBoundariesPublished` event on the `config`
topic; every replica reads that topic from the start (no consumer group: each needs all of it) and applies every
publication in the topic's order, so all replicas end on the same boundaries, the one that took the upload included.

The config topic is keyed by scope, so with log compaction it keeps the latest boundaries for ever; a document must
fit in one Kafka message (the admin API refuses one over MAX_DOCUMENT_BYTES).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from sqlmodel import Session

from libs.auth.principal import Principal
from libs.directory import get_directory
from libs.events import Actor, GridBoundariesPublished
from libs.messaging import record_event
from libs.messaging.config_topic import start_following
from libs.observability import get_logger
from libs.settings import Settings, get_settings
from services.intake.placement import BoundariesRejected, GridMap

log = get_logger(__name__)
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "grids.geojson"
MAX_DOCUMENT_BYTES = 900_000  # under Kafka's default 1 MB message limit
CATCH_UP_SECONDS = 10.0


class GridBoundariesPublic(BaseModel):
    version: int
    source: str  # "file" or "published"
    published_by: str | None = None
    published_at: datetime | None = None
    grids: int
    document: dict[str, Any]


class _Current:
    """The boundaries in force in this process, swapped whole (readers never see half a map)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.grids: GridMap | None = None
        self.loaded = False  # the file was read (it may have had no boundaries)
        self.source = "file"
        self.published_by: str | None = None
        self.published_at: datetime | None = None


_current = _Current()


def boundaries_file() -> Path:
    return Path(os.environ.get("GRIDS_FILE", DEFAULT_FILE))


def load_file() -> GridMap | None:
    """The shipped boundaries; None (every position unresolved) when the district has no file."""
    path = boundaries_file()
    if not path.exists():
        log.warning("grid_boundaries_missing", path=str(path))
        return None
    return GridMap.from_geojson(json.loads(path.read_text(encoding="utf-8")), get_directory(), version=0)


def reset_to_file() -> None:
    """Start afresh from the file (a new app in this process); publications on the topic follow."""
    grids = load_file()
    with _current.lock:
        _current.grids, _current.source, _current.published_by, _current.published_at = grids, "file", None, None
        _current.loaded = True


def current_grids() -> GridMap | None:
    if not _current.loaded:
        reset_to_file()
    return _current.grids


def current_boundaries() -> GridBoundariesPublic:
    grids = current_grids()
    document = grids.to_geojson() if grids else {"type": "FeatureCollection", "features": []}
    return GridBoundariesPublic(
        version=grids.version if grids else 0, source=_current.source, published_by=_current.published_by,
        published_at=_current.published_at, grids=len(grids.areas) if grids else 0, document=document,
    )


def publish_boundaries(session: Session, *, principal: Principal, document: dict[str, Any]) -> GridBoundariesPublic:
    """Validate the admin's GeoJSON and stage its publication; replicas apply it when it arrives on `config`."""
    size = len(json.dumps(document, ensure_ascii=False).encode())
    if size > MAX_DOCUMENT_BYTES:
        raise BoundariesRejected(f"document: {size} bytes; at most {MAX_DOCUMENT_BYTES} (simplify the polygons)")
    current = current_grids()
    version = (current.version if current else 0) + 1
    grids = GridMap.from_geojson(document, get_directory(), version=version)
    event = GridBoundariesPublished(actor=Actor(**principal.actor()), boundaries_version=version, document=document)
    record_event(session, event)
    return GridBoundariesPublic(
        version=version, source="published", published_by=principal.sub, published_at=event.occurred_at,
        grids=len(grids.areas), document=grids.to_geojson(),
    )


def apply(event: object) -> None:
    """A publication from the topic replaces the boundaries; one that does not validate here is logged, not applied."""
    if not isinstance(event, GridBoundariesPublished):
        return
    try:
        grids = GridMap.from_geojson(event.document, get_directory(), version=event.boundaries_version)
    except BoundariesRejected as exc:
        log.error("grid_boundaries_rejected", version=event.boundaries_version, error=str(exc))
        return
    with _current.lock:
        _current.grids, _current.source, _current.loaded = grids, "published", True
        _current.published_by, _current.published_at = event.actor.id, event.occurred_at
    log.info("grid_boundaries_applied", version=event.boundaries_version, grids=len(grids.areas))


def following_boundaries(create_app: Callable[..., FastAPI]) -> Callable[..., FastAPI]:
    """`create_app` whose app loads the boundaries file on start and follows the config topic while it runs; it
    waits (up to CATCH_UP_SECONDS) to have caught up before taking requests."""

    def create(settings: Settings | None = None) -> FastAPI:
        app = create_app(settings)
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(a: FastAPI) -> AsyncIterator[None]:
            reset_to_file()
            async with inner(a):
                stop = asyncio.Event()
                bootstrap = (settings or get_settings()).kafka_bootstrap
                task = await start_following(bootstrap, apply, stop, name="intake-grid-boundaries", catch_up_seconds=CATCH_UP_SECONDS)
                try:
                    yield
                finally:
                    stop.set()
                    with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                        await asyncio.wait_for(task, 3)
                    task.cancel()

        app.router.lifespan_context = lifespan
        return app

    return create
