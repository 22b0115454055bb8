"""The unread count of 站内信 in the header of every page a signed-in person may open: asked of notify once the page's
role check has passed (a refused page calls no backend), at most BADGE_TIMEOUT_S; without an answer the header shows
the link alone and the page is not held up."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request

from libs.observability import get_logger

log = get_logger(__name__)
BADGE_TIMEOUT_S = 1.0


async def fetch_unread(request: Request, token: str) -> None:
    """Sets `request.state.unread` (the header's badge) from notify's count for the token's person."""
    backends: Any = request.app.state.backends
    try:
        answer = await asyncio.wait_for(backends.call("notify", "GET", "/inbox/unread", token=token), BADGE_TIMEOUT_S)
        request.state.unread = int(answer["unread"])
    except Exception as exc:  # noqa: BLE001 - the badge is a courtesy; the page is shown without it
        log.info("inbox_badge_unavailable", error=type(exc).__name__)
