"""The ticket's whole-life status and its legal moves; every service's view of a ticket moves by this table."""
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
    callback = "callback"  # 回访: nobody rated in time; the community calls the resident
    closed = "closed"
    merged = "merged"


S = TicketStatus
TICKET_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.filed: frozenset({S.dispatched, S.settled_on_spot, S.merged, S.closed}),
    S.dispatched: frozenset({S.accepted, S.returned, S.dispatched}),
    S.accepted: frozenset({S.resolved, S.returned}),
    S.returned: frozenset({S.dispatched, S.settled_on_spot, S.closed}),
    S.resolved: frozenset({S.closed, S.reopened, S.callback}),
    S.settled_on_spot: frozenset({S.closed, S.reopened, S.callback}),
    S.callback: frozenset({S.closed, S.reopened}),
    S.reopened: frozenset({S.dispatched, S.settled_on_spot}),
    S.closed: frozenset(),
    S.merged: frozenset({S.closed}),
}

# Statuses in which the community holds the ticket and must act (待转哨).
AWAITING_COMMUNITY = frozenset({S.filed, S.returned, S.reopened})
# What a department worklist shows by default: tickets it must still act on.
OPEN_FOR_DEPARTMENT = frozenset({S.dispatched, S.accepted})
FINISHED = frozenset({S.closed, S.merged})

STATUS_LABELS_ZH: dict[TicketStatus, str] = {
    S.filed: "已吹哨，待社区转哨",
    S.dispatched: "已派单，待部门签收",
    S.settled_on_spot: "社区即办，待评价",
    S.accepted: "部门办理中",
    S.returned: "已退单，待社区改派",
    S.resolved: "已办结，待评价",
    S.reopened: "重办中",
    S.callback: "未评价，待电话回访",
    S.closed: "已关闭",
    S.merged: "已合并",
}
