"""Intake's rules: what a filing must contain, where it belongs, and how the resident's view of it moves. No I/O."""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from libs.directory import Directory
from libs.events import (
    CallbackAttempted,
    CallbackRequested,
    DeadlineWarned,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    HazardVerified,
    ResidentContacted,
    TicketAccepted,
    TicketAssignedToCommunity,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketMerged,
    TicketRecategorized,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSettledOnSpot,
    TicketSuspended,
)
from libs.statemachine import Rejected
from services.intake.placement import GridMap, place


class FilingRejected(Rejected):
    """The filing names things the district does not have (unknown category, community outside the grid...)."""


def new_ticket_id(now: datetime) -> str:
    """Human-readable, unique: T + date + 8 random hex digits (e.g. T20261126-3FA2C91B)."""
    return f"T{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


def mask_phone(phone: str | None) -> str | None:
    """138****5678: staff see enough to recognise a caller, events never carry the number in clear."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


def request_fingerprint(body: dict) -> str:
    """Same body, same fingerprint: tells a retried submission from a reused Idempotency-Key."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def resolve_placement(
    directory: Directory,
    *,
    category: str,
    community_id: str | None,
    grid_id: str | None,
    fallback_community: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str | None = None,
    grids: GridMap | None = None,
) -> tuple[str, str | None, str]:
    """Return (community_id, grid_id, default urgency); refuse only what the filing names wrongly (the field at
    fault). Where nothing names it: the position, the address, the filer's community, else the street's triage
    queue (placement.py) -- a filing is never refused for want of a community."""
    cat = directory.category(category)
    if cat is None:
        known = ", ".join(c.id for c in directory.categories)
        raise FilingRejected(f"category: unknown category {category!r}; known: {known}")
    if grid_id is not None:
        owner = directory.community_of_grid(grid_id)
        if owner is None:
            raise FilingRejected(f"grid_id: unknown grid {grid_id!r}")
        if community_id is not None and community_id != owner.id:
            raise FilingRejected(f"community_id: grid {grid_id!r} belongs to {owner.id!r}, not {community_id!r}")
    elif community_id is not None and directory.community(community_id) is None:
        raise FilingRejected(f"community_id: unknown community {community_id!r}")
    where = place(
        directory, grids, community_id=community_id, grid_id=grid_id, latitude=latitude, longitude=longitude,
        address=address, fallback_community=fallback_community,
    )
    return where.community_id, where.grid_id, cat.urgency


def _note(default: str | None = None) -> Callable[[Any], str | None]:
    """The event's own `note`, else `default`."""
    return lambda e: e.note or default


# Events the ticket's story keeps (services/intake/story.py says which lines and notes the resident reads), and the
# note each line carries.
TIMELINE_NOTES: dict[type[Event], Callable[[Any], str | None]] = {
    TicketDispatched: _note(),
    TicketSettledOnSpot: _note(),
    TicketAccepted: lambda e: None,
    ResidentContacted: _note("部门已与您联系"),
    ExtensionRequested: lambda e: e.reason,
    ExtensionGranted: _note("办理期限已延长"),
    ExtensionRefused: _note(),
    DeadlineWarned: lambda e: None,
    TicketReturned: lambda e: e.reason,
    TicketResolved: _note(),
    TicketRated: lambda e: e.comment,
    TicketReopened: lambda e: e.reason,
    TicketClosed: lambda e: None,
    TicketEscalated: lambda e: None,
    TicketMerged: lambda e: f"与相同问题合并办理，请关注工单 {e.merged_into}",
    TicketRecategorized: lambda e: e.note or "社区已调整问题分类",
    TicketSuspended: lambda e: e.reason or "暂停办理",
    TicketResumed: _note("恢复办理"),
    TicketAssignedToCommunity: _note("街道已将您的诉求分拨至所属社区办理"),
    CallbackRequested: lambda e: "评价期已过，社区将电话回访您，听取您的意见",
    CallbackAttempted: lambda e: "社区已电话回访" if e.reached else f"社区回访电话未接通（第{e.attempt}次）",
    HazardVerified: lambda e: "社区已核实您随手拍报告的安全隐患，积分将计入您的账户，感谢您的参与",  # staff note stays theirs
}


def timeline_note(event: Event) -> str | None:
    """The note of the story's line for this event (whether the resident reads it: story.visibility)."""
    return TIMELINE_NOTES[type(event)](event)
