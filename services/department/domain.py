"""The department's rules: sign, contact, ask for more time, resolve, return — each only from the right status. No I/O."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from libs.statemachine import DomainError, check_transition
from libs.ticket import TICKET_TRANSITIONS, TicketStatus, warnings_after  # noqa: F401 - shared with the other consoles

# What a department worklist shows by default: tickets it must still act on.
OPEN_FOR_DEPARTMENT = frozenset({TicketStatus.dispatched, TicketStatus.accepted})

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
