"""Intake's rules: what a filing must contain, where it belongs, and how the resident's view of it moves. No I/O."""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime

from libs.directory import Directory
from libs.statemachine import DomainError, check_transition
from libs.ticket import STATUS_AFTER_EVENT, TICKET_TRANSITIONS, TicketStatus


class FilingRejected(DomainError):
    """The filing names things the district does not have (unknown category, community outside the grid...)."""

    status_code = 422


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
    directory: Directory, *, category: str, community_id: str | None, grid_id: str | None, fallback_community: str | None
) -> tuple[str, str | None, str]:
    """Return (community_id, grid_id, default urgency) or refuse with the field at fault."""
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
        return owner.id, grid_id, cat.urgency
    chosen = community_id or fallback_community
    if chosen is None:
        raise FilingRejected("community_id: required when no grid_id is given and your account has no community")
    if directory.community(chosen) is None:
        raise FilingRejected(f"community_id: unknown community {chosen!r}")
    return chosen, None, cat.urgency


# Events the resident's timeline shows, with the line it reads when the event carries no note of its own.
TIMELINE_EVENTS: dict[str, str | None] = {
    "TicketDispatched": None,
    "TicketSettledOnSpot": None,
    "TicketAccepted": None,
    "ResidentContacted": "部门已与您联系",
    "ExtensionGranted": "办理期限已延长",
    "TicketReturned": None,
    "TicketResolved": None,
    "TicketRated": None,
    "TicketReopened": None,
    "TicketClosed": None,
    "TicketEscalated": None,
    "TicketMerged": "与相同问题合并办理",
    "TicketSuspended": "暂停办理",
    "TicketResumed": "恢复办理",
}


def next_status(current: TicketStatus, event_type: str) -> TicketStatus | None:
    """The resident's view after `event_type`, or None when the event does not change it."""
    if event_type == "TicketMerged":
        return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.merged)
    target = STATUS_AFTER_EVENT.get(event_type)
    if target is None or target == TicketStatus.filed:
        return None
    if current == TicketStatus.merged and target == TicketStatus.closed:
        return None  # a merged duplicate stays "merged" for the resident: they follow the ticket it joined
    return check_transition(TICKET_TRANSITIONS, "ticket", current, target)


def timeline_note(event_type: str, *, note: str | None, merged_into: str | None = None) -> str | None:
    """What the resident reads on the timeline line for this event."""
    if event_type == "TicketMerged" and merged_into:
        return f"与相同问题合并办理，请关注工单 {merged_into}"
    return note or TIMELINE_EVENTS.get(event_type)
