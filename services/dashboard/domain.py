"""How one event changes the dashboard's counters: scopes and metric deltas. No I/O."""
from __future__ import annotations

from dataclasses import dataclass

from libs.ticket import STATUS_AFTER_EVENT, TicketStatus


STAGE_ENDING_EVENTS = frozenset({"TicketDispatched", "TicketAccepted", "TicketSettledOnSpot", "TicketResolved", "TicketMerged"})
# A duplicate merged into another ticket leaves the counts of open tickets as "merged".
STATUS_AFTER = {**STATUS_AFTER_EVENT, "TicketMerged": TicketStatus.merged}
FINISHED_STATUSES = frozenset({TicketStatus.closed.value, TicketStatus.merged.value})


@dataclass
class TicketFacts:
    """What the read model remembers per ticket so each counter moves once."""

    community_id: str
    category: str
    department_id: str | None
    status: str
    responded: bool
    handled: bool
    escalation_level: int


def scopes(facts: TicketFacts) -> list[str]:
    """Every aggregate a ticket belongs to: district-wide, its community, category and (once dispatched) department."""
    result = ["all", f"community:{facts.community_id}", f"category:{facts.category}"]
    if facts.department_id:
        result.append(f"department:{facts.department_id}")
    return result


def metric_deltas(facts: TicketFacts, event_type: str, *, satisfied: bool | None = None, level: int | None = None) -> dict[str, int]:
    """Counter changes for `event_type`, updating `facts` in place; status counts are moved by `status_moves`."""
    deltas: dict[str, int] = {}
    new_status = STATUS_AFTER.get(event_type)
    if new_status is not None and not (facts.status == TicketStatus.merged and new_status == TicketStatus.closed):
        facts.status = new_status.value
    if event_type in ("TicketAccepted", "TicketSettledOnSpot") and not facts.responded:
        facts.responded = True
        deltas["responded"] = 1
    if event_type in ("TicketResolved", "TicketSettledOnSpot") and not facts.handled:
        facts.handled = True
        deltas["handled"] = 1
    if event_type == "TicketReturned":
        deltas["returned"] = 1
    if event_type == "TicketReopened":
        deltas["reopened"] = 1
    if event_type == "DeadlineWarned":
        deltas["warned"] = 1  # 催办: every warning counts, as each one is a reminder sent
    if event_type == "TicketRated":
        deltas["rated"] = 1
        if satisfied:
            deltas["satisfied"] = 1
    if event_type in STAGE_ENDING_EVENTS:
        facts.escalation_level = 0  # the overdue stage is over; a later stage may escalate anew
    if event_type == "TicketEscalated" and level is not None and level > facts.escalation_level:
        if facts.escalation_level == 0:
            deltas["escalated"] = 1
        facts.escalation_level = level
    return deltas


def status_moves(before_status: str, before_scopes: list[str], facts: TicketFacts) -> list[tuple[str, str, int]]:
    """(scope, metric, delta) moving the ticket's status count, also when its department (scope) changed."""
    after_scopes = scopes(facts)
    if before_status == facts.status and before_scopes == after_scopes:
        return []
    moves = [(scope, f"status:{before_status}", -1) for scope in before_scopes]
    moves += [(scope, f"status:{facts.status}", 1) for scope in after_scopes]
    return moves


def digest_scopes_for(role: str, community_id: str | None, department_id: str | None) -> list[str] | None:
    """Which digests a caller may read: None = all (leadership), else only their own community's or department's."""
    if role in ("leader", "supervisor", "admin"):
        return None
    if role == "community_staff" and community_id:
        return [f"community:{community_id}"]
    if role == "department_staff" and department_id:
        return [f"department:{department_id}"]
    return []
