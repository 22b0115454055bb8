"""The portal's reference data: the directory in force follows the versions admins publish (stored by dispatch). The
portal has no Kafka consumer, so it asks dispatch's `GET /directory` every PORTAL_DIRECTORY_REFRESH_SECONDS (first
after one interval, so a short-lived process asks nothing) and adopts a newer version; the admin's own publication is
adopted from the answer at once (pages/reference.py)."""
from __future__ import annotations

import asyncio
import contextlib
import os

from libs.auth import Principal, mint_token
from libs.directory import live
from libs.observability import get_logger

log = get_logger(__name__)


def refresh_seconds() -> float:
    return float(os.environ.get("PORTAL_DIRECTORY_REFRESH_SECONDS", "15"))


async def refresh_once(backends) -> bool:  # noqa: ANN001 - services.portal.clients.Backends
    token = mint_token(Principal(sub="portal-directory", role="resident"), ttl_seconds=60)
    found = await backends.call("dispatch", "GET", "/directory", token=token)
    return live.adopt(int(found["version"]), found["document"], published_by=found.get("published_by"), change=found.get("change"))


async def keep_fresh(backends, stop: asyncio.Event) -> None:  # noqa: ANN001
    every = refresh_seconds()
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if stop.is_set():
            return
        try:
            if await refresh_once(backends):
                log.info("directory_refreshed", version=live.in_force().version)
        except Exception as exc:  # noqa: BLE001 - dispatch down: keep what is in force, ask again later
            log.warning("directory_refresh_failed", error=f"{type(exc).__name__}: {exc}")
