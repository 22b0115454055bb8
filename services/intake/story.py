"""A ticket's whole story (issue 9): intake already keeps one line per ticket event for the resident's timeline, so
the same record, with who did it, what the event carried and who may read its note, is the staff's story too.

- `visibility` of a line: public (the resident reads the line and its note), internal (the resident reads the
  headline only: a dispatch note is the community's word to the department, a return reason the department's to the
  community, a supervisor's decision on an extension theirs), staff (the resident does not see the line: extension
  requests and refusals, 催办, deadlines set or moved, internal notes).
- Staff may read the story of a ticket of their community (community staff), one their department holds or held
  (department staff), any ticket of their street (supervisors), any ticket (leaders, admins); anyone else: 404.
- Staff add notes (内部 / 公开) as `TicketNoteAdded`: the line is written here, in the command's transaction; a closed
  or merged ticket takes no more notes (409)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from libs.auth.principal import Principal, in_street
from libs.events import (
    DeadlineWarned,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    StageDeadlineSet,
    TicketAssignedToCommunity,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketMerged,
    TicketNoteAdded,
    TicketRated,
    TicketRecategorized,
    TicketReopened,
    TicketResolved,
    TicketReturned,
)
from libs.messaging import record_event
from libs.statemachine import DomainError, NotFound
from libs.ticket import TicketStatus
from services.intake.models import IntakeTicket, IntakeTimeline, NoteCreate, StoryEntry, TicketStory, TimelineEntry

STAFF_ROLES = ("community_staff", "department_staff", "supervisor", "leader", "admin")
INTERNAL_NOTES: frozenset[type[Event]] = frozenset({TicketDispatched, TicketReturned, ExtensionGranted})
STAFF_ONLY: frozenset[type[Event]] = frozenset({ExtensionRequested, ExtensionRefused, DeadlineWarned, StageDeadlineSet})


def visibility(event: Event) -> str:
    if isinstance(event, TicketNoteAdded):
        return "public" if event.visibility == "public" else "staff"
    if type(event) in STAFF_ONLY:
        return "staff"
    return "internal" if type(event) in INTERNAL_NOTES else "public"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _deadline(e: Any) -> dict[str, Any]:
    return {"stage": e.stage, "deadline": _iso(e.deadline)}


# What the story shows of each event beyond its note (photos, stages and deadlines, levels, amounts, ratings...).
DETAILS: dict[type[Event], Callable[[Any], dict[str, Any]]] = {
    TicketFiled: lambda e: {"photos": list(e.attachments)},
    TicketResolved: lambda e: {"photos": list(e.evidence)},
    TicketEscalated: lambda e: {**_deadline(e), "level": e.level},
    DeadlineWarned: _deadline,
    StageDeadlineSet: lambda e: {**_deadline(e), "warn_at": _iso(e.warn_at)},
    ExtensionRequested: lambda e: {"amount": e.amount, "unit": e.unit},
    ExtensionGranted: lambda e: {"amount": e.amount, "unit": e.unit},
    TicketRated: lambda e: {"satisfaction": e.satisfaction, "solved": e.solved},
    TicketReopened: lambda e: {"reopen_count": e.reopen_count, "joint_handling": e.joint_handling},
    TicketMerged: lambda e: {"merged_into": e.merged_into},
    TicketRecategorized: lambda e: {"category": e.category, "previous_category": e.previous_category},
    TicketAssignedToCommunity: lambda e: {"community_id": e.community_id, "from_community_id": e.from_community_id},
}


def timeline_row(event: Event, note: str | None) -> IntakeTimeline:
    """The story's line for `event`: its note, who did it, what it carried, and who may read it."""
    details = DETAILS.get(type(event), lambda e: {})(event)
    return IntakeTimeline(
        ticket_id=event.ticket_id,
        event_id=str(event.event_id),
        event_type=event.type,
        occurred_at=event.occurred_at,
        note=note,
        visibility=visibility(event),
        actor_role=event.actor.role,
        actor_id=event.actor.id,
        department_id=getattr(event, "department_id", None),
        details=details,
    )


def resident_entries(rows: list[IntakeTimeline]) -> list[TimelineEntry]:
    """The resident's timeline: every line but the staff's, a note only where it is public."""
    return [
        TimelineEntry(
            event_type=r.event_type, occurred_at=r.occurred_at, note=r.note if r.visibility == "public" else None,
            department_id=r.department_id,
        )
        for r in rows
        if r.visibility != "staff"
    ]


def _rows(session: Session, ticket_id: str) -> list[IntakeTimeline]:
    query = select(IntakeTimeline).where(IntakeTimeline.ticket_id == ticket_id).order_by(col(IntakeTimeline.id))
    return list(session.exec(query))


def _held_by(rows: list[IntakeTimeline]) -> list[str]:
    held: list[str] = []
    for row in rows:
        if row.event_type == "TicketDispatched" and row.department_id and row.department_id not in held:
            held.append(row.department_id)
    return held


def _may_read(principal: Principal, ticket: IntakeTicket, held: list[str]) -> bool:
    role = principal.role
    if role == "admin":
        return True
    if role == "leader":
        return True  # leaders watch the district
    if role == "supervisor":
        return in_street(principal, ticket.community_id)  # their street's tickets only
    if role == "community_staff":
        return principal.community_id is not None and principal.community_id == ticket.community_id
    if role == "department_staff":
        mine = principal.department_id
        return mine is not None and (mine in held or mine == ticket.view().department_id)
    return False


def _readable(session: Session, principal: Principal, ticket_id: str) -> tuple[IntakeTicket, list[IntakeTimeline]]:
    ticket = session.get(IntakeTicket, ticket_id)
    rows = _rows(session, ticket_id) if ticket is not None else []
    if ticket is None or not _may_read(principal, ticket, _held_by(rows)):
        raise NotFound(f"ticket {ticket_id!r} not found")
    return ticket, rows


def story(session: Session, *, principal: Principal, ticket_id: str) -> TicketStory:
    """The whole story of a ticket the staff member may read; NotFound (404) otherwise, so no existence is revealed."""
    ticket, rows = _readable(session, principal, ticket_id)
    merged_from = session.exec(
        select(IntakeTicket.id).where(IntakeTicket.merged_into == ticket_id).order_by(col(IntakeTicket.created_at))
    )
    entries = [
        StoryEntry(
            event_type=r.event_type, occurred_at=r.occurred_at, note=r.note, department_id=r.department_id,
            visibility=r.visibility, actor_role=r.actor_role, actor_id=r.actor_id, details=r.details or {},
        )
        for r in rows
    ]
    return ticket.public(
        TicketStory, department_id=ticket.view().department_id, timeline=resident_entries(rows), story=entries,
        merged_from=list(merged_from), departments=_held_by(rows),
    )


def add_note(session: Session, *, principal: Principal, ticket_id: str, body: NoteCreate) -> TicketNoteAdded:
    """Staff who may read the story write on it: 内部 (staff only) or 公开 (the resident reads it too)."""
    ticket, _rows_ = _readable(session, principal, ticket_id)
    if ticket.status == TicketStatus.merged:
        raise DomainError(f"ticket {ticket_id!r} was merged into {ticket.merged_into!r}; write the note there")
    if ticket.status == TicketStatus.closed:
        raise DomainError(f"ticket {ticket_id!r} is closed; its story takes no more notes")
    event = TicketNoteAdded(
        ticket_id=ticket.id, actor=principal.actor(), text=body.text, visibility=body.visibility,
        community_id=principal.community_id, department_id=principal.department_id,
    )
    record_event(session, event)
    session.add(timeline_row(event, note=event.text))
    return event
