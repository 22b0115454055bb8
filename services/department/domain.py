"""The department's rules: sign, contact, ask for more time, resolve, return — each only from the right status. No I/O."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from libs.statemachine import DomainError, check_transition
from libs.statemachine.ticket import TICKET_TRANSITIONS, TicketStatus

# What a department worklist shows by default: tickets it must still act on.
OPEN_FOR_DEPARTMENT = frozenset({TicketStatus.dispatched, TicketStatus.accepted})

# Stage deadlines (催办 warnings) that an event ends: a warning for a finished stage no longer applies.
STAGES_ENDED_BY: dict[str, frozenset[str]] = {
    "TicketDispatched": frozenset({"dispatch", "accept", "contact", "resolve"}),
    "TicketAccepted": frozenset({"accept"}),
    "ResidentContacted": frozenset({"contact"}),
    "ExtensionGranted": frozenset({"resolve"}),
    "TicketResolved": frozenset({"accept", "contact", "resolve"}),
    "TicketReturned": frozenset({"accept", "contact", "resolve"}),
}


class ExtensionStatus(StrEnum):
    pending = "pending"
    granted = "granted"
    refused = "refused"


def accept(current: TicketStatus) -> TicketStatus:
    """签收."""
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.accepted)


def resolve(current: TicketStatus) -> TicketStatus:
    """办结: only after signing for it."""
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.resolved)


def return_to_community(current: TicketStatus) -> TicketStatus:
    """退单: a misrouted ticket goes back to the community, before or after signing."""
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.returned)


def contact_resident(current: TicketStatus, contacted_at: datetime | None) -> None:
    """先行联系: once per handling, and only after signing for the ticket."""
    if current != TicketStatus.accepted:
        raise DomainError(f"ticket is {current.value}; the resident can be contacted only after the ticket is accepted")
    if contacted_at is not None:
        raise DomainError(f"the resident was already contacted at {contacted_at.isoformat()}")


def request_extension(current: TicketStatus, extension_status: str | None, suspended: bool = False) -> None:
    """延期申请: only while handling an accepted ticket, and one request at a time."""
    if current != TicketStatus.accepted:
        raise DomainError(f"ticket is {current.value}; an extension can be requested only for an accepted ticket")
    if suspended:
        raise DomainError("ticket is suspended; its deadlines are stopped, so no extension is needed")
    if extension_status == ExtensionStatus.pending:
        raise DomainError("an extension request is already pending a supervisor's decision")


def warning_applies(stage: str, current: TicketStatus, contacted_at: datetime | None) -> bool:
    """A 催办 counts only for a stage the department is still in (a late warning for a finished stage is dropped)."""
    if stage == "accept":
        return current == TicketStatus.dispatched
    if stage == "contact":
        return current == TicketStatus.accepted and contacted_at is None
    if stage == "resolve":
        return current in OPEN_FOR_DEPARTMENT
    return False  # dispatch and rating deadlines are the community's and the resident's


def warnings_after(warnings: dict[str, str], event_type: str) -> dict[str, str]:
    """The stage warnings still standing after `event_type` (a new dict; JSON columns need a new value)."""
    ended = STAGES_ENDED_BY.get(event_type, frozenset())
    return {stage: due for stage, due in warnings.items() if stage not in ended}
