"""The grid map the portal shows (网格): intake's boundaries (GET /grids), kept for a minute per backend connection, so
the filing form's map and the grid names on the pages cost one intake call a minute, not one per page. Boundaries
are public to everyone signed in; the viewer's own token fetches them."""
from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from libs.observability import get_logger
from services.portal.clients import BackendRejected, Backends, BackendUnavailable

log = get_logger(__name__)
FRESH_SECONDS = 60.0
EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}


@dataclass
class _Cached:
    document: dict[str, Any] = field(default_factory=lambda: EMPTY)
    fetched_at: float = float("-inf")


_cache: weakref.WeakKeyDictionary[Backends, _Cached] = weakref.WeakKeyDictionary()


async def grid_map(clients: Backends, token: str) -> dict[str, Any]:
    """Every grid's boundary as GeoJSON; raises BackendUnavailable/BackendRejected when intake cannot answer and
    nothing was fetched before (an older map is kept when a refresh fails)."""
    cached = _cache.setdefault(clients, _Cached())
    if time.monotonic() - cached.fetched_at < FRESH_SECONDS:
        return cached.document
    try:
        document = await clients.call("intake", "GET", "/grids", token=token)
    except (BackendUnavailable, BackendRejected):
        if cached.fetched_at == float("-inf"):
            raise
        log.warning("grid_map_refresh_failed")
        return cached.document
    cached.document, cached.fetched_at = document, time.monotonic()
    return document


def community_map(document: dict[str, Any], community_id: str) -> dict[str, Any]:
    """The FeatureCollection of one community's grids."""
    features = [f for f in document.get("features", []) if f.get("properties", {}).get("community_id") == community_id]
    return {"type": "FeatureCollection", "features": features}


async def grid_names(clients: Backends, token: str) -> dict[str, str]:
    """grid id -> 网格名 for the pages; empty (the pages show ids) when intake cannot say."""
    try:
        document = await grid_map(clients, token)
    except (BackendUnavailable, BackendRejected):
        return {}
    return {
        f["properties"]["grid_id"]: f["properties"].get("name") or f["properties"]["grid_id"]
        for f in document.get("features", [])
        if isinstance(f.get("properties"), dict) and f["properties"].get("grid_id")
    }
