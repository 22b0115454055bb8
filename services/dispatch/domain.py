"""The community's rules: which department a ticket should go to, and which triage moves are legal. No I/O."""
from __future__ import annotations

from libs.directory import Directory
from libs.statemachine import DomainError, check_transition
from libs.statemachine.ticket import TICKET_TRANSITIONS, TicketStatus

# Statuses in which the community holds the ticket and must act (待转哨).
AWAITING_COMMUNITY = frozenset({TicketStatus.filed, TicketStatus.returned, TicketStatus.reopened})


class UnknownDepartment(DomainError):
    status_code = 422


def propose_department(directory: Directory, category: str) -> str | None:
    """Routing rule: the category's responsible department (routing by area comes with the admin rules)."""
    cat = directory.category(category)
    return cat.department if cat else None


def dispatch(current: TicketStatus, directory: Directory, department_id: str) -> TicketStatus:
    """派单 / 改派: legal from the community's queue, or to reassign before the department signs."""
    if directory.department(department_id) is None:
        known = ", ".join(d.id for d in directory.departments)
        raise UnknownDepartment(f"department_id: unknown department {department_id!r}; known: {known}")
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.dispatched)


def settle_on_spot(current: TicketStatus) -> TicketStatus:
    """即办件当场结: only while the community holds the ticket."""
    if current not in AWAITING_COMMUNITY:
        raise DomainError(f"ticket is {current.value}; only a ticket waiting for the community can be settled on the spot")
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.settled_on_spot)
