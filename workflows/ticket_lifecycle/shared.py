"""Plain dataclasses that cross the Temporal boundary (workflow input, signals, activity input); stdlib only.

Times travel as ISO-8601 strings: the default converter cannot rebuild a `datetime` field inside the workflow
sandbox (which proxies the datetime module), and strings read the same in every Temporal SDK.
"""
from __future__ import annotations

from dataclasses import dataclass, field

AWAITING_DISPATCH = "awaiting_dispatch"
AWAITING_ACCEPTANCE = "awaiting_acceptance"
IN_PROGRESS = "in_progress"
AWAITING_RATING = "awaiting_rating"
CLOSED = "closed"

# The ticket events that move a workflow's stage; the bridge signals only these (others change no timer).
STAGE_AFTER_EVENT: dict[str, str] = {
    "TicketDispatched": AWAITING_ACCEPTANCE,
    "TicketAccepted": IN_PROGRESS,
    "TicketReturned": AWAITING_DISPATCH,
    "TicketResolved": AWAITING_RATING,
    "TicketSettledOnSpot": AWAITING_RATING,
    "TicketReopened": AWAITING_DISPATCH,
    "TicketClosed": CLOSED,
}

MAX_ESCALATION_LEVEL = 3


@dataclass
class TicketWorkflowInput:
    """What TicketFiled tells the workflow, plus the state carried across continue-as-new."""

    ticket_id: str
    community_id: str
    urgency: str
    category: str
    filed_at: str  # ISO-8601, as every time below
    dispatch_timeout_seconds: float
    # Carried state; the defaults are a freshly filed ticket.
    stage: str = AWAITING_DISPATCH
    stage_entered_at: str | None = None
    department_id: str | None = None
    seen_event_ids: list[str] = field(default_factory=list)
    escalation_level: int = 0
    escalations_total: int = 0
    dispatch_cycle: int = 0  # how many times the ticket came back to awaiting_dispatch (return, reopen)


@dataclass
class TicketEventSignal:
    """A ticket event reduced to what the timers need; `event_id` makes redelivery harmless."""

    event_id: str
    type: str
    occurred_at: str
    department_id: str | None = None
    community_id: str | None = None


@dataclass
class EscalationRequest:
    """Input of the publish_escalation activity; (ticket, stage, level, cycle) fixes the event id."""

    ticket_id: str
    stage: str
    level: int
    cycle: int
    deadline: str
    community_id: str | None = None
    department_id: str | None = None
