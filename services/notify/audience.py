"""Which people one ticket event concerns, and with which template: the resident, the handlers (the community for a
new ticket, the department for a dispatch) and, for 督办, the roster's people of that level. No I/O."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from libs.directory import Directory
from libs.events import (
    DeadlineWarned,
    Envelope,
    TicketAccepted,
    TicketAssignedToCommunity,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketReopened,
    TicketResolved,
    TicketReturned,
    TicketSettledOnSpot,
)
from services.notify.domain import BEIJING, STAGE_NAMES, Audience, Notice, Roster

LEVEL_NAMES = {1: "一", 2: "二", 3: "三"}


@dataclass(frozen=True)
class TicketFacts:
    """What notify keeps of a ticket: where it is, who filed it, what it is called, how urgent."""

    ticket_id: str
    community_id: str | None = None
    department_id: str | None = None
    reporter_id: str | None = None
    title: str = ""
    urgency: str = "ordinary"

    @property
    def emergency(self) -> bool:
        return self.urgency == "emergency"


def audience(event: Envelope, facts: TicketFacts, roster: Roster) -> list[Notice]:
    """The notices of one event, each person once; an event nobody is told of gives []."""
    people = Audience()
    community, department, reporter = facts.community_id, facts.department_id, facts.reporter_id
    if isinstance(event, TicketFiled) and event.kind == "wish":  # 微心愿: the community reviews it for the wall
        people.add(roster.lookup("handlers", community_id=community), "community_new_wish")
        people.add_resident(reporter, "resident_wish_filed")
    elif isinstance(event, TicketFiled):
        people.add(roster.lookup("handlers", community_id=community), "community_new_ticket")
        people.add_resident(reporter, "resident_filed")
    elif isinstance(event, TicketAssignedToCommunity):
        people.add(roster.lookup("handlers", community_id=community), "community_new_ticket")
    elif isinstance(event, TicketDispatched):
        people.add(roster.lookup("handlers", department_id=event.department_id), "department_dispatched")
        people.add_resident(reporter, "resident_dispatched")
    elif isinstance(event, TicketAccepted):
        people.add_resident(reporter, "resident_accepted")
    elif isinstance(event, TicketReturned):
        people.add(roster.lookup("handlers", community_id=community), "community_returned")
    elif isinstance(event, TicketResolved):
        people.add_resident(reporter, "resident_resolved")
    elif isinstance(event, TicketSettledOnSpot):
        people.add_resident(reporter, "resident_settled")
    elif isinstance(event, TicketClosed):
        if event.outcome == "merged":
            people.add_resident(reporter, "resident_merged")
        elif event.outcome != "withdrawn":
            people.add_resident(reporter, "resident_closed")
    elif isinstance(event, TicketReopened):
        people.add(roster.lookup("handlers", community_id=community), "community_reopened")
        people.add_resident(reporter, "resident_reopened")
    elif isinstance(event, DeadlineWarned):
        people.add(_handlers(roster, event.community_id or community, event.department_id), "deadline_warned")
    elif isinstance(event, TicketEscalated):
        level = f"level{event.level}"
        people.add(roster.lookup(level, community_id=event.community_id or community, department_id=event.department_id), "escalated_roster")
        people.add(_handlers(roster, event.community_id or community, event.department_id), "escalated_handler")
    return list(people.notices.values())


def _handlers(roster: Roster, community_id: str | None, department_id: str | None) -> list[Any]:
    """The handlers of a stage: the department's when the stage is the department's, else the community's."""
    return roster.lookup("handlers", community_id=community_id, department_id=department_id)


def context(event: Envelope, facts: TicketFacts, directory: Directory) -> dict[str, Any]:
    """The placeholders' values for this event (names, not ids; times in Beijing)."""

    def community_name(community_id: str | None) -> str | None:
        if community_id and directory.is_triage(community_id):
            return directory.triage_name(community_id)
        found = directory.community(community_id) if community_id else None
        return found.name if found else community_id

    def department_name(department_id: str | None) -> str | None:
        found = directory.department(department_id) if department_id else None
        return found.name if found else department_id

    department_id = getattr(event, "department_id", None) or facts.department_id
    values: dict[str, Any] = {
        "ticket_id": facts.ticket_id,
        "title": facts.title or facts.ticket_id,
        "community": community_name(getattr(event, "community_id", None) or facts.community_id),
        "department": department_name(department_id),
    }
    stage = getattr(event, "stage", None)
    if stage:
        values["stage"] = STAGE_NAMES.get(stage, stage)
    deadline = getattr(event, "deadline", None)
    if isinstance(deadline, datetime):
        values["deadline"] = deadline.astimezone(BEIJING).strftime("%m月%d日 %H:%M")
    if isinstance(event, TicketEscalated):
        values["level"] = LEVEL_NAMES[event.level]
    note = getattr(event, "note", None)
    if isinstance(event, TicketClosed):
        note = event.merged_into
    values["note"] = note
    values["reason"] = getattr(event, "reason", None)
    return values


def fold(facts: TicketFacts | None, event: Envelope) -> TicketFacts:
    """The facts after `event` (a ticket notify never saw filed starts from what later events carry)."""
    ticket_id = getattr(event, "ticket_id")
    facts = facts or TicketFacts(ticket_id=ticket_id)
    changes: dict[str, Any] = {}
    if isinstance(event, TicketFiled):
        changes = {"community_id": event.community_id, "reporter_id": event.reporter_id, "title": event.title, "urgency": event.urgency}
    elif isinstance(event, TicketDispatched):
        changes = {"community_id": event.community_id, "department_id": event.department_id, "urgency": event.urgency}
        if not facts.title:
            changes["title"] = event.title
    elif isinstance(event, TicketAssignedToCommunity):
        changes = {"community_id": event.community_id}
    elif isinstance(event, TicketReopened):
        changes = {"community_id": event.community_id, "department_id": None}
    elif isinstance(event, TicketReturned):
        changes = {"department_id": None}
    return TicketFacts(**{**facts.__dict__, **changes})
