"""One fold of a ticket's events into the view every service keeps of it: status (legal moves only), the running
stages' deadlines (时限, from the workflow), warnings (催办) and escalations (督办), merge, suspension, returns and reopens.

`fold` is pure and raises `IllegalTransition` for a move the table forbids (a command answers 409);
`apply_event` is what consumers call: a refused move is logged and counted, and the view stays as it was.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from libs.events import (
    CallbackRequested,
    DeadlineWarned,
    DepartmentsSummoned,
    HazardVerified,
    Event,
    ExtensionGranted,
    ResidentContacted,
    StageDeadlineSet,
    SummonsCheckedIn,
    SummonsTaskCompleted,
    TicketAccepted,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketMerged,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSettledOnSpot,
    TicketSuspended,
)
from libs.observability import TICKET_MOVES_REFUSED, get_logger
from libs.statemachine import IllegalTransition, check_transition
from libs.ticket import summons as summoning
from libs.ticket.stages import SUMMONS_STAGES, Stage
from libs.ticket.status import AWAITING_COMMUNITY, TICKET_TRANSITIONS, TicketStatus

log = get_logger(__name__)
S = TicketStatus
ALL_STAGES = frozenset(Stage)


@dataclass(frozen=True)
class TicketView:
    """What every service knows of a ticket's life; mappings are replaced, never mutated."""

    status: TicketStatus = S.filed
    department_id: str | None = None
    warnings: Mapping[str, str] = field(default_factory=dict)  # stage -> deadline (ISO) of a standing 催办
    escalations: Mapping[str, int] = field(default_factory=dict)  # stage -> level of a standing 督办
    # stage -> {"due": ISO, "warn_at": ISO or None}: the running stages' deadlines as the workflow counts them
    deadlines: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    merged_into: str | None = None
    contacted: bool = False
    suspended: bool = False
    reopen_count: int = 0
    joint_handling: bool = False
    return_count: int = 0
    # 吹哨报到: summons id -> its departments' check-ins, tasks and clocks (libs/ticket/summons.py)
    summons: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    hazard_verified: bool = False  # 隐患随手拍 confirmed by staff (the reporter's points follow, once)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", TicketStatus(self.status))  # rows and JSON hand back plain strings

    @property
    def escalation_level(self) -> int:
        return max(self.escalations.values(), default=0)

    @property
    def escalation_stage(self) -> Stage | None:
        """The stage escalated furthest (the earlier stage on a tie)."""
        if not self.escalations:
            return None
        order = list(Stage)
        return Stage(max(self.escalations, key=lambda s: (self.escalations[s], -order.index(Stage(s)))))

    def running_stages(self) -> frozenset[Stage]:
        """Stages whose deadline runs in this status (and a summons' check-ins and co-tasks while they are open): a
        warning or escalation for any other one is stale."""
        return self._status_stages() | summoning.running_stages(self)

    def _status_stages(self) -> frozenset[Stage]:
        if self.status in AWAITING_COMMUNITY:
            return frozenset({Stage.dispatch, Stage.joint_handling})
        if self.status == S.dispatched:
            return frozenset({Stage.accept, Stage.resolve})
        if self.status == S.accepted:
            return frozenset({Stage.resolve} if self.contacted else {Stage.resolve, Stage.contact})
        if self.status in (S.resolved, S.settled_on_spot):
            return frozenset({Stage.rating})
        if self.status == S.callback:
            return frozenset({Stage.callback})
        return frozenset()

    @property
    def next_due(self) -> str | None:
        """The earliest deadline of a running stage (ISO), what lists sort by; None when no clock runs."""
        return min((d["due"] for d in self.deadlines.values() if d.get("due")), default=None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["warnings"], data["escalations"] = dict(self.warnings), dict(self.escalations)
        data["deadlines"] = {stage: dict(d) for stage, d in self.deadlines.items()}
        data["summons"] = {sid: dict(s) for sid, s in self.summons.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TicketView:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _move(view: TicketView, target: TicketStatus, **changes: Any) -> TicketView:
    check_transition(TICKET_TRANSITIONS, "ticket", view.status, target)
    return replace(view, status=target, **changes)


def _end(view: TicketView, stages: frozenset[Stage], *, deadlines: bool = True) -> TicketView:
    """Warnings, escalations and (unless `deadlines` is False: the deadline only moved) deadlines of finished stages
    no longer stand."""
    return replace(
        view,
        warnings={s: d for s, d in view.warnings.items() if s not in stages},
        escalations={s: n for s, n in view.escalations.items() if s not in stages},
        deadlines={s: d for s, d in view.deadlines.items() if s not in stages} if deadlines else view.deadlines,
    )


def _dispatched(v: TicketView, e: TicketDispatched) -> TicketView:
    return _end(_move(v, S.dispatched, department_id=e.department_id, contacted=False), ALL_STAGES)


def _returned(v: TicketView, e: TicketReturned) -> TicketView:
    moved = _move(v, S.returned, return_count=v.return_count + 1)
    return _end(moved, frozenset({Stage.accept, Stage.contact, Stage.resolve}))


def _reopened(v: TicketView, e: TicketReopened) -> TicketView:
    moved = _move(v, S.reopened, reopen_count=max(v.reopen_count, e.reopen_count), joint_handling=v.joint_handling or e.joint_handling)
    return _end(moved, ALL_STAGES)


def _closed(v: TicketView, e: TicketClosed) -> TicketView:
    if v.status == S.merged:
        return v  # a merged duplicate stays "merged": its people follow the ticket it joined
    return _end(_move(v, S.closed), ALL_STAGES)


def _warned(v: TicketView, e: DeadlineWarned) -> TicketView:
    if e.stage in SUMMONS_STAGES:
        return summoning.deadline_notice(v, e)  # one clock per summoned department
    if e.stage not in v.running_stages():
        return v  # the stage ended before its warning arrived
    return replace(v, warnings={**v.warnings, e.stage: e.deadline.isoformat()})


def _deadline_set(v: TicketView, e: StageDeadlineSet) -> TicketView:
    if e.stage in SUMMONS_STAGES:
        return summoning.deadline_notice(v, e)
    if e.stage not in v.running_stages():
        return v  # set for a stage that has ended meanwhile
    due = {"due": e.deadline.isoformat(), "warn_at": e.warn_at.isoformat() if e.warn_at else None}
    return replace(v, deadlines={**v.deadlines, e.stage: due})


def _escalated(v: TicketView, e: TicketEscalated) -> TicketView:
    if e.stage in SUMMONS_STAGES:
        return summoning.deadline_notice(v, e)
    if e.stage not in v.running_stages():
        return v
    return replace(v, escalations={**v.escalations, e.stage: max(v.escalations.get(e.stage, 0), e.level)})


_STEPS: dict[type[Event], Callable[[TicketView, Any], TicketView]] = {
    TicketFiled: lambda v, e: v,  # a redelivered filing changes nothing
    TicketDispatched: _dispatched,
    TicketSettledOnSpot: lambda v, e: _end(_move(v, S.settled_on_spot), ALL_STAGES),
    TicketAccepted: lambda v, e: _end(_move(v, S.accepted), frozenset({Stage.accept})),
    ResidentContacted: lambda v, e: _end(replace(v, contacted=True), frozenset({Stage.contact})),
    TicketReturned: _returned,
    # The deadline moved: warn and escalate afresh; the new deadline follows as StageDeadlineSet.
    ExtensionGranted: lambda v, e: _end(v, frozenset({Stage.resolve}), deadlines=False),
    TicketResolved: lambda v, e: _end(_move(v, S.resolved), ALL_STAGES),
    TicketReopened: _reopened,
    TicketClosed: _closed,
    TicketMerged: lambda v, e: _end(_move(v, S.merged, merged_into=e.merged_into), ALL_STAGES),
    TicketSuspended: lambda v, e: replace(v, suspended=True),
    TicketResumed: lambda v, e: replace(v, suspended=False),
    DeadlineWarned: _warned,
    CallbackRequested: lambda v, e: _end(_move(v, S.callback), ALL_STAGES),
    StageDeadlineSet: _deadline_set,
    TicketEscalated: _escalated,
    DepartmentsSummoned: summoning.summoned,
    SummonsCheckedIn: summoning.checked_in,
    SummonsTaskCompleted: summoning.task_completed,
    HazardVerified: lambda v, e: replace(v, hazard_verified=True),  # the handling goes on as it was
}
# Events after which the lead no longer holds the ticket as summoned: every open summons ends, its clocks stop.
ENDS_SUMMONS: frozenset[type[Event]] = frozenset({
    TicketDispatched, TicketSettledOnSpot, TicketReturned, TicketResolved, TicketReopened, TicketClosed, TicketMerged,
    CallbackRequested,
})
# Events that leave the view as it is (rated, extension requested or refused) are simply absent.
FOLDED_EVENTS: frozenset[type[Event]] = frozenset(_STEPS)


def fold(view: TicketView | None, event: Event) -> TicketView:
    """The view after `event` (None: the ticket is new). Raises IllegalTransition for a forbidden move."""
    if view is None:
        return TicketView()
    step = _STEPS.get(type(event))
    if step is None:
        return view
    return step(summoning.ended(view) if type(event) in ENDS_SUMMONS else view, event)


def apply_event(view: TicketView | None, event: Event, *, service: str) -> TicketView:
    """`fold` for consumers: an illegal move is logged and counted, never a silent overwrite."""
    try:
        return fold(view, event)
    except IllegalTransition as exc:
        TICKET_MOVES_REFUSED.labels(service, event.type, exc.current.value).inc()
        log.warning(
            "ticket_move_refused", event_type=event.type, status=exc.current.value, target=exc.target.value
        )
        return view  # type: ignore[return-value] - fold(None, ...) never raises
