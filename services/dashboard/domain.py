"""How one event changes the dashboard's figures: which scopes a ticket counts in and what each event adds. Status and
escalation come from the one ticket fold (libs/ticket/view.py); this module only counts (definitions: rates.py). No I/O.

Area figures (district `all`, community or the street's triage queue, grid, category, channel, kind, place) are kept per
ticket (`TicketFacts.counted`) on the ticket's filing day, so they move with the ticket when its community, grid or
category changes. Department figures are kept per dispatch, on the day the dispatch reached the department, and stay
with that department (a 退单 stays with the department that returned it)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from libs.events import (
    DeadlineWarned,
    Event,
    TicketAccepted,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketMerged,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketReturned,
    TicketSettledOnSpot,
)
from libs.ticket.view import TicketView
from services.dashboard.periods import beijing_day

MOVES = (TicketDispatched, TicketAccepted, TicketResolved, TicketReturned, TicketSettledOnSpot, TicketReopened, TicketMerged)
DEPARTMENT_STAGES = frozenset({"accept", "contact", "resolve"})
OUTCOME = ("rated", "satisfied", "solved", "unsatisfied", "unrated", "unreachable")  # a ticket's latest outcome
TRIAGE_PREFIX = "street:"  # libs.directory triage_scope: a ticket nothing placed waits in its street's queue


@dataclass
class TicketFacts:
    """What the read model remembers per ticket besides the fold, so each figure moves once."""

    community_id: str
    category: str
    grid_id: str | None = None
    channel: str = "web"
    kind: str = "problem"
    place: str | None = None  # 小区 or a ~200 m cell: repeated tickets from one place (hot.py)
    filed_at: str = ""  # ISO instant of the filing: the day every area figure is kept on
    department_id: str | None = None  # who holds it now (or held it last)
    responded: bool = False
    handled: bool = False
    overdue: bool = False
    reopened: bool = False
    resolver: str | None = None  # the department whose 办结 awaits or got the rating; None after 即办
    departments: dict[str, dict[str, Any]] = field(default_factory=dict)  # dept -> its latest dispatch {day, at, ...}
    counted: dict[str, int] = field(default_factory=dict)  # what the ticket added to each area scope

    def to_dict(self) -> dict[str, Any]:
        """A copy as plain data (what asdict gives, without its slow deep walk: only these two fields nest)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["departments"] = {k: dict(v) for k, v in self.departments.items()}
        data["counted"] = dict(self.counted)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TicketFacts:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @property
    def filed_day(self) -> str:
        return beijing_day(datetime.fromisoformat(self.filed_at)).isoformat()


def community_scope(community_id: str) -> str:
    """`community:<id>`; the street's triage queue (街道分拨) is `triage:<street>`, never ranked as a community."""
    if community_id.startswith(TRIAGE_PREFIX):
        return f"triage:{community_id.removeprefix(TRIAGE_PREFIX)}"
    return f"community:{community_id}"


def area_scopes(facts: TicketFacts) -> list[str]:
    """Every area a ticket's figures count in."""
    result = ["all", community_scope(facts.community_id), f"category:{facts.category}",
              f"channel:{facts.channel}", f"kind:{facts.kind}"]
    if facts.grid_id:
        result.append(f"grid:{facts.grid_id}")
    if facts.place:
        result.append(f"place:{facts.place}")
    return result


def status_scopes(facts: TicketFacts) -> list[str]:
    """Where the ticket's current status is counted (open tickets now): its areas and the department holding it."""
    return area_scopes(facts) + ([f"department:{facts.department_id}"] if facts.department_id else [])


def _seconds(start_iso: str, end: datetime) -> int:
    return max(int((end - datetime.fromisoformat(start_iso)).total_seconds()), 0)


def _outcome(event: TicketRated | TicketClosed) -> dict[str, int]:
    if isinstance(event, TicketRated):
        return {"rated": 1, "satisfied": int(event.satisfaction != "unsatisfied"), "solved": int(event.solved),
                "unsatisfied": int(event.satisfaction == "unsatisfied")}
    return {"unreachable": 1} if event.outcome == "callback_unreachable" else {"unrated": 1}


def area_deltas(facts: TicketFacts, before: TicketView, after: TicketView, event: Event) -> dict[str, int]:
    """Changes of the ticket's area figures for `event` (which moved the view from `before` to `after`); updates
    `facts` (not `counted`, which the caller adds the result to)."""
    if isinstance(event, MOVES) and after is before:
        return {}  # the fold refused the move: nothing happened
    deltas: dict[str, int] = {}
    if isinstance(event, (TicketAccepted, TicketSettledOnSpot)) and not facts.responded:
        facts.responded, deltas["responded"] = True, 1
    if isinstance(event, (TicketResolved, TicketSettledOnSpot)) and not facts.handled:
        facts.handled, deltas["handled"] = True, 1
        deltas["handle_seconds"] = _seconds(facts.filed_at, event.occurred_at)
        if not facts.overdue:
            deltas["handled_on_time"] = 1
    if isinstance(event, TicketDispatched):
        deltas["dispatches"] = 1
    if isinstance(event, TicketReturned):
        deltas["returned"] = 1
    if isinstance(event, DeadlineWarned):
        deltas["warned"] = 1  # 催办: every warning counts, as each one is a reminder sent
    if isinstance(event, TicketReopened):
        deltas["reopens"] = 1
        if not facts.reopened:
            facts.reopened, deltas["reopened"] = True, 1
    if isinstance(event, TicketMerged):
        deltas["merged"] = 1
    if before.escalation_level == 0 and after.escalation_level > 0:
        deltas["escalated"] = 1  # counted once per overdue stage, however high its ladder climbs
        if not facts.overdue:
            facts.overdue, deltas["overdue"] = True, 1
    rated = isinstance(event, TicketRated) and facts.handled
    unrated = isinstance(event, TicketClosed) and event.outcome in ("rating_window_expired", "callback_unreachable")
    if rated or unrated:  # the latest outcome replaces the earlier one (a reopened ticket is rated again)
        new = _outcome(event)  # type: ignore[arg-type]
        for metric in OUTCOME:
            delta = new.get(metric, 0) - facts.counted.get(metric, 0)
            if delta:
                deltas[metric] = delta
    return deltas


def _on_time(view: TicketView, stage: str, moment: datetime) -> bool:
    """Before the stage's deadline as the workflow set it; without a known deadline, on time unless 督办 stood on it."""
    due = view.deadlines.get(stage, {}).get("due")
    if due:
        return moment <= datetime.fromisoformat(due)
    return stage not in view.escalations


def department_deltas(facts: TicketFacts, before: TicketView, after: TicketView, event: Event) -> list[tuple[str, str, str, int]]:
    """(department, day, metric, delta) for `event`, each on the day of the dispatch it belongs to; updates `facts`."""
    if isinstance(event, MOVES) and after is before:
        return []
    out: list[tuple[str, str, str, int]] = []

    def add(dept: str | None, metric: str, delta: int = 1) -> None:
        entry = facts.departments.get(dept or "")
        if entry is not None and delta:
            out.append((dept, entry["day"], metric, delta))  # type: ignore[arg-type]

    if isinstance(event, TicketDispatched):
        facts.departments[event.department_id] = {"day": beijing_day(event.occurred_at).isoformat(),
                                                  "at": event.occurred_at.isoformat(), "overdue": False, "rated": False}
        add(event.department_id, "received")
    elif isinstance(event, TicketAccepted):
        add(event.department_id, "accepted")
        add(event.department_id, "accepted_on_time", int(_on_time(before, "accept", event.occurred_at)))
    elif isinstance(event, TicketResolved):
        entry = facts.departments.get(event.department_id)
        add(event.department_id, "resolved")
        add(event.department_id, "resolved_on_time", int(_on_time(before, "resolve", event.occurred_at)))
        if entry is not None:
            add(event.department_id, "handle_seconds", _seconds(entry["at"], event.occurred_at))
            entry["rated"] = False
        facts.resolver = event.department_id
    elif isinstance(event, TicketReturned):
        add(event.department_id, "returned")
    elif isinstance(event, TicketSettledOnSpot):
        facts.resolver = None  # the community settled it: the rating is not a department's
    elif isinstance(event, (TicketEscalated, DeadlineWarned)) and event.stage in DEPARTMENT_STAGES:
        holder = after.department_id if after.status.value in ("dispatched", "accepted") else None
        entry = facts.departments.get(holder or "")
        if entry is not None and isinstance(event, DeadlineWarned) and event.stage in after.warnings:
            add(holder, "warned")
        if entry is not None and isinstance(event, TicketEscalated) and event.stage in after.escalations and not entry["overdue"]:
            entry["overdue"] = True
            add(holder, "overdue")
    elif isinstance(event, (TicketRated, TicketClosed)) and facts.resolver:
        entry = facts.departments.get(facts.resolver)
        closing_unrated = isinstance(event, TicketClosed) and event.outcome in ("rating_window_expired", "callback_unreachable")
        if entry is not None and not entry["rated"] and (isinstance(event, TicketRated) or closing_unrated):
            entry["rated"] = True
            for metric, value in _outcome(event).items():  # type: ignore[arg-type]
                add(facts.resolver, metric, value)
    elif isinstance(event, TicketReopened) and facts.resolver:
        add(facts.resolver, "reopened")
        facts.resolver = None
    return out


def scope_moves(counted: dict[str, int], before_scopes: list[str], after_scopes: list[str]) -> list[tuple[str, str, int]]:
    """(scope, metric, delta) taking what the ticket had counted out of the areas it left and into those it joined."""
    left = [scope for scope in before_scopes if scope not in after_scopes]
    joined = [scope for scope in after_scopes if scope not in before_scopes]
    moves = [(scope, metric, -value) for scope in left for metric, value in counted.items() if value]
    return moves + [(scope, metric, value) for scope in joined for metric, value in counted.items() if value]


def status_moves(before_status: str, before_scopes: list[str], after_status: str, after_scopes: list[str]) -> list[tuple[str, str, int]]:
    """(scope, metric, delta) moving the ticket's status count, also when its scopes changed."""
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
