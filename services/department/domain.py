"""The department's rules: sign, resolve, return — each only from the right status. No I/O."""
from __future__ import annotations

from libs.statemachine import check_transition
from libs.statemachine.ticket import TICKET_TRANSITIONS, TicketStatus

# What a department worklist shows by default: tickets it must still act on.
OPEN_FOR_DEPARTMENT = frozenset({TicketStatus.dispatched, TicketStatus.accepted})


def accept(current: TicketStatus) -> TicketStatus:
    """签收."""
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.accepted)


def resolve(current: TicketStatus) -> TicketStatus:
    """办结: only after signing for it."""
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.resolved)


def return_to_community(current: TicketStatus) -> TicketStatus:
    """退单: a misrouted ticket goes back to the community, before or after signing."""
    return check_transition(TICKET_TRANSITIONS, "ticket", current, TicketStatus.returned)
