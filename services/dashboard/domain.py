"""How one event changes the dashboard's counters: scopes and metric deltas. Status and escalation come from the
one ticket fold (libs/ticket/view.py); this module only counts. No I/O."""
from __future__ import annotations

from dataclasses import dataclass

from libs.events import (
    DeadlineWarned,
    Event,
    TicketAccepted,
    TicketClosed,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketReturned,
    TicketSettledOnSpot,
)
from libs.ticket.view import TicketView

# Events counted every time they happen, by the metric they add to.
COUNTED_EVENTS: dict[type[Event], str] = {
    TicketReturned: "returned",
    TicketReopened: "reopened",
    DeadlineWarned: "warned",  # 催办: every warning counts, as each one is a reminder sent
}
RESPONSE_EVENTS = (TicketAccepted, TicketSettledOnSpot)  # 响应: the first signature or on-the-spot settlement
HANDLING_EVENTS = (TicketResolved, TicketSettledOnSpot)  # 办结


@dataclass
class TicketFacts:
    """What the read model remembers per ticket besides the fold, so each counter moves once."""

    community_id: str
    category: str
    department_id: str | None
    responded: bool = False
    handled: bool = False


TRIAGE_PREFIX = "street:"  # libs.directory triage_scope: a ticket nothing placed waits in its street's queue


def community_scope(community_id: str) -> str:
    """`community:<id>`; the street's triage queue (街道分拨) is `triage:<street>`, never ranked as a community."""
    if community_id.startswith(TRIAGE_PREFIX):
        return f"triage:{community_id.removeprefix(TRIAGE_PREFIX)}"
    return f"community:{community_id}"


def scopes(facts: TicketFacts) -> list[str]:
    """Every aggregate a ticket belongs to: district-wide, its community (or the street's triage queue), category and
    (once dispatched) department."""
    result = ["all", community_scope(facts.community_id), f"category:{facts.category}"]
    if facts.department_id:
        result.append(f"department:{facts.department_id}")
    return result


def metric_deltas(facts: TicketFacts, before: TicketView, after: TicketView, event: Event) -> dict[str, int]:
    """Counter changes for `event` (which moved the view from `before` to `after`), updating `facts` in place."""
    deltas: dict[str, int] = {}
    if isinstance(event, RESPONSE_EVENTS) and not facts.responded:
        facts.responded = True
        deltas["responded"] = 1
    if isinstance(event, HANDLING_EVENTS) and not facts.handled:
        facts.handled = True
        deltas["handled"] = 1
    if type(event) in COUNTED_EVENTS:
        deltas[COUNTED_EVENTS[type(event)]] = 1
    if isinstance(event, TicketClosed) and event.outcome == "callback_unreachable":
        deltas["unreachable"] = 1  # 回访 never reached the resident: unrated, never satisfied
    if isinstance(event, TicketRated):
        deltas["rated"] = 1
        if event.satisfaction != "unsatisfied":
            deltas["satisfied"] = 1
    if before.escalation_level == 0 and after.escalation_level > 0:
        deltas["escalated"] = 1  # counted once per overdue stage, however high its ladder climbs
    return deltas


def scope_moves(counted: dict[str, int], before_scopes: list[str], after_scopes: list[str]) -> list[tuple[str, str, int]]:
    """(scope, metric, delta) taking what the ticket had counted out of the place and category it left and into those
    it joined. A department scope keeps what happened while it held the ticket (a 退单 stays with who returned it)."""
    def moving(scope: str) -> bool:
        return not scope.startswith("department:")

    left = [scope for scope in before_scopes if scope not in after_scopes and moving(scope)]
    joined = [scope for scope in after_scopes if scope not in before_scopes and moving(scope)]
    moves = [(scope, metric, -value) for scope in left for metric, value in counted.items() if value]
    return moves + [(scope, metric, value) for scope in joined for metric, value in counted.items() if value]


def status_moves(before_status: str, before_scopes: list[str], after_status: str, after_scopes: list[str]) -> list[tuple[str, str, int]]:
    """(scope, metric, delta) moving the ticket's status count, also when its department (scope) changed."""
    if before_status == after_status and before_scopes == after_scopes:
        return []
    moves = [(scope, f"status:{before_status}", -1) for scope in before_scopes]
    moves += [(scope, f"status:{after_status}", 1) for scope in after_scopes]
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
