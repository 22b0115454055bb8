"""The ticket's whole-life status, as residents and leadership see it (intake and dashboard mirror it)."""
from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    filed = "filed"
    dispatched = "dispatched"
    settled_on_spot = "settled_on_spot"
    accepted = "accepted"
    returned = "returned"
    resolved = "resolved"
    reopened = "reopened"
    closed = "closed"
    merged = "merged"


S = TicketStatus
TICKET_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.filed: frozenset({S.dispatched, S.settled_on_spot, S.merged, S.closed}),
    S.dispatched: frozenset({S.accepted, S.returned, S.dispatched}),
    S.accepted: frozenset({S.resolved, S.returned}),
    S.returned: frozenset({S.dispatched, S.settled_on_spot, S.closed}),
    S.resolved: frozenset({S.closed, S.reopened}),
    S.settled_on_spot: frozenset({S.closed, S.reopened}),
    S.reopened: frozenset({S.dispatched, S.settled_on_spot}),
    S.closed: frozenset(),
    S.merged: frozenset({S.closed}),
}

# Which status an event moves the ticket to; events absent here (rated, escalated, warned) leave it.
STATUS_AFTER_EVENT: dict[str, TicketStatus] = {
    "TicketFiled": S.filed,
    "TicketDispatched": S.dispatched,
    "TicketSettledOnSpot": S.settled_on_spot,
    "TicketAccepted": S.accepted,
    "TicketReturned": S.returned,
    "TicketResolved": S.resolved,
    "TicketReopened": S.reopened,
    "TicketClosed": S.closed,
}

STATUS_LABELS_ZH: dict[TicketStatus, str] = {
    S.filed: "已吹哨，待社区转哨",
    S.dispatched: "已派单，待部门签收",
    S.settled_on_spot: "社区即办，待评价",
    S.accepted: "部门办理中",
    S.returned: "已退单，待社区改派",
    S.resolved: "已办结，待评价",
    S.reopened: "重办中",
    S.closed: "已关闭",
    S.merged: "已合并",
}

# Stage deadlines (催办 warnings) that an event ends: a warning for a finished stage no longer applies.
ALL_STAGES = frozenset({"dispatch", "accept", "contact", "resolve", "joint_handling"})
STAGES_ENDED_BY: dict[str, frozenset[str]] = {
    "TicketDispatched": ALL_STAGES,
    "TicketSettledOnSpot": ALL_STAGES,
    "TicketAccepted": frozenset({"accept"}),
    "ResidentContacted": frozenset({"contact"}),
    "ExtensionGranted": frozenset({"resolve"}),
    "TicketResolved": ALL_STAGES,
    "TicketReturned": frozenset({"accept", "contact", "resolve"}),
    "TicketReopened": ALL_STAGES,
    "TicketClosed": ALL_STAGES,
    "TicketMerged": ALL_STAGES,
}


def warnings_after(warnings: dict[str, str], event_type: str) -> dict[str, str]:
    """The stage warnings still standing after `event_type` (a new dict; JSON columns need a new value)."""
    ended = STAGES_ENDED_BY.get(event_type, frozenset())
    return {stage: due for stage, due in warnings.items() if stage not in ended}
