"""The department's own rules beyond the lifecycle table (which the ticket fold checks): contact and extensions. No I/O."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from libs.statemachine import DomainError
from libs.ticket import TicketStatus


class ExtensionStatus(StrEnum):
    pending = "pending"
    granted = "granted"
    refused = "refused"


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
