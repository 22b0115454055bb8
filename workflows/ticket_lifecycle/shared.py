"""Plain dataclasses that cross the Temporal boundary (workflow input, signals, activity input); stdlib only.

Times travel as ISO-8601 strings: the default converter cannot rebuild a `datetime` field inside the workflow
sandbox (which proxies the datetime module), and strings read the same in every Temporal SDK.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Where the ticket is, as the workflow sees it (its `stage` in queries and summaries).
AWAITING_DISPATCH = "awaiting_dispatch"
AWAITING_ACCEPTANCE = "awaiting_acceptance"
IN_PROGRESS = "in_progress"
AWAITING_RATING = "awaiting_rating"
AWAITING_CALLBACK = "awaiting_callback"  # 回访
CLOSED = "closed"

# Timers (one per stage deadline, several at once: contact and resolve while in progress) and notices are named by
# `libs.ticket.Stage`; its values ("dispatch", "accept", ...) are what the recorded histories hold.
MAX_ESCALATION_LEVEL = 3


@dataclass
class StageTimer:
    """One running deadline: when it started, when it warns (催办), when it is due, how far it has escalated."""

    name: str  # a Stage value
    started_at: str
    deadline: str
    warn_at: str | None
    warned: bool = False
    level: int = 0
    cycle: int = 0  # unique per (re)start or extension, so each round's warnings and escalations get new event ids
    department_id: str | None = None  # 吹哨报到: the summoned department a check_in / co_task timer counts for


@dataclass
class TicketWorkflowInput:
    """What TicketFiled tells the workflow, the SLA and calendar it lives by, and state carried across continue-as-new."""

    ticket_id: str
    community_id: str
    urgency: str
    category: str
    filed_at: str
    sla: dict[str, Any]  # policy.TicketSla.to_dict(): the ticket keeps the policy version it started with
    calendar: dict[str, Any]  # calendar.WorkCalendar.to_dict()
    # Carried state; the defaults are a freshly filed ticket.
    stage: str = AWAITING_DISPATCH
    department_id: str | None = None
    timers: list[StageTimer] | None = None
    seen_event_ids: list[str] = field(default_factory=list)
    escalations_total: int = 0
    warnings_total: int = 0
    dispatch_cycle: int = 0
    reopen_count: int = 0
    returns_by_department: dict[str, int] = field(default_factory=dict)
    suspended_at: str | None = None
    pending_extension: str | None = None
    extensions_granted: int = 0
    joint_handling: bool = False
    timer_starts: int = 0


@dataclass
class TicketEventSignal:
    """A ticket event reduced to what the timers need; `event_id` makes redelivery harmless."""

    event_id: str
    type: str
    occurred_at: str
    department_id: str | None = None
    community_id: str | None = None
    amount: float | None = None  # extension granted
    unit: str | None = None
    reopen_count: int | None = None
    joint_handling: bool = False
    summons_id: str | None = None  # 吹哨报到: DepartmentsSummoned, SummonsCheckedIn, SummonsTaskCompleted
    departments: list[str] = field(default_factory=list)  # DepartmentsSummoned: the lead first, then co-departments
    due: str | None = None  # DepartmentsSummoned: when every department must be on site (on_site_due)
    category: str | None = None  # TicketRecategorized: the new category...
    slas: dict[str, dict[str, Any]] = field(default_factory=dict)  # ...and its TicketSla per urgency (current policy)


@dataclass
class DeadlineNotice:
    """Input of the publish activity: (ticket, kind, stage, level, cycle) fixes the event id, so retries re-send it."""

    kind: str  # "warned" | "escalated" | "rating_expired" | "callback_due" | "deadline_set"
    ticket_id: str
    stage: str  # a Stage value
    level: int
    cycle: int
    deadline: str
    community_id: str | None = None
    department_id: str | None = None
    warn_at: str | None = None  # deadline_set: when 催办 goes out
