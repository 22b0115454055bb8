"""吹哨报到 in the one fold: the summonses of a ticket, each summoned department's check-in (报到) and task, and the
per-department clocks behind the view's `check_in` / `co_task` deadlines, 催办 and 督办.

The view keeps, per summons id, a plain JSON-able mapping (rows store the fold as JSON):

    {"lead": dept, "on_site_due": ISO, "reason": str, "open": bool, "joint_handling": bool,
     "departments": {dept: {"role": "lead" | "co", "checked_in_at": ISO | None, "late": bool | None,
                            "distance_m": float | None, "completed_at": ISO | None,
                            "clocks": {stage: {"due": ISO, "warn_at": ISO | None, "warned": bool, "level": int}}}}}

A department's clock runs while its check-in (or, for a co-department, its task) is open; the view's stage-level
`deadlines`, `warnings` and `escalations` for the summons stages are recomputed from the clocks that run (the earliest
due, the furthest level), so lists sort and colour them like any stage. Pure functions, no I/O.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from libs.events import DeadlineWarned, DepartmentsSummoned, StageDeadlineSet, SummonsCheckedIn, SummonsTaskCompleted, TicketEscalated
from libs.ticket.stages import SUMMONS_STAGES, Stage

if TYPE_CHECKING:
    from libs.ticket.view import TicketView

LEAD, CO = "lead", "co"


def _clock(due: str | None, warn_at: str | None = None) -> dict[str, Any]:
    return {"due": due, "warn_at": warn_at, "warned": False, "level": 0}


def running_clocks(summons: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(stage, department) -> clock, for every clock that still runs in an open summons."""
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    if not summons.get("open"):
        return found
    for dept, task in summons["departments"].items():
        if task.get("completed_at"):
            continue
        for stage, clock in task.get("clocks", {}).items():
            if stage == Stage.check_in and task.get("checked_in_at"):
                continue
            found[(stage, dept)] = clock
    return found


def open_tasks(view: TicketView) -> list[tuple[str, str, str]]:
    """(summons id, department, role) of every task not completed in an open summons (the lead's is the ticket)."""
    return [
        (sid, dept, task["role"])
        for sid, s in view.summons.items() if s.get("open")
        for dept, task in s["departments"].items() if not task.get("completed_at")
    ]


def running_stages(view: TicketView) -> frozenset[Stage]:
    return frozenset(Stage(stage) for s in view.summons.values() for stage, _ in running_clocks(s))


def _aggregate(view: TicketView, summons: Mapping[str, Mapping[str, Any]]) -> TicketView:
    """The view with `summons` and its stage-level deadlines, warnings and escalations recomputed from the clocks."""
    clocks = [(stage, c) for s in summons.values() for (stage, _), c in running_clocks(s).items()]
    deadlines = {k: v for k, v in view.deadlines.items() if k not in SUMMONS_STAGES}
    warnings = {k: v for k, v in view.warnings.items() if k not in SUMMONS_STAGES}
    escalations = {k: v for k, v in view.escalations.items() if k not in SUMMONS_STAGES}
    for stage in sorted(SUMMONS_STAGES):
        mine = [c for st, c in clocks if st == stage and c.get("due")]
        if mine:
            first = min(mine, key=lambda c: c["due"])
            deadlines[stage] = {"due": first["due"], "warn_at": first.get("warn_at")}
        if warned := [c["due"] for c in mine if c.get("warned")]:
            warnings[stage] = min(warned)
        if level := max((c.get("level", 0) for c in mine), default=0):
            escalations[stage] = level
    return replace(view, summons=summons, deadlines=deadlines, warnings=warnings, escalations=escalations)


def _with_task(view: TicketView, summons_id: str, dept: str, **changes: Any) -> TicketView | None:
    summons = view.summons.get(summons_id)
    if summons is None or dept not in summons["departments"]:
        return None
    task = {**summons["departments"][dept], **changes}
    updated = {**summons, "departments": {**summons["departments"], dept: task}}
    return _aggregate(view, {**view.summons, summons_id: updated})


def summoned(view: TicketView, e: DepartmentsSummoned) -> TicketView:
    """A new summons: every department's check-in clock runs to the due time the summons carries (the workflow's
    StageDeadlineSet adds the 催办 time and each co-task's due)."""
    departments = {
        dept: {
            "role": LEAD if dept == e.lead_department_id else CO, "checked_in_at": None, "late": None, "distance_m": None,
            "completed_at": None,
            "clocks": {Stage.check_in.value: _clock(e.on_site_due.isoformat())}
            | ({} if dept == e.lead_department_id else {Stage.co_task.value: _clock(None)}),  # due: the workflow's
        }
        for dept in e.department_ids
    }
    entry = {
        "lead": e.lead_department_id, "on_site_due": e.on_site_due.isoformat(), "reason": e.reason, "open": True,
        "joint_handling": e.joint_handling, "summoned_at": e.occurred_at.isoformat(), "departments": departments,
    }
    return _aggregate(view, {**view.summons, e.summons_id: entry})


def checked_in(view: TicketView, e: SummonsCheckedIn) -> TicketView:
    changed = _with_task(
        view, e.summons_id, e.department_id, checked_in_at=e.occurred_at.isoformat(), late=e.late, distance_m=e.distance_m
    )
    return view if changed is None else changed


def task_completed(view: TicketView, e: SummonsTaskCompleted) -> TicketView:
    changed = _with_task(view, e.summons_id, e.department_id, completed_at=e.occurred_at.isoformat())
    return view if changed is None else changed


def _clock_of(view: TicketView, e: StageDeadlineSet | DeadlineWarned | TicketEscalated) -> tuple[str, Mapping[str, Any]] | None:
    """The running clock the workflow's notice is about: its summons (the latest open one naming the department)."""
    for sid, s in reversed(list(view.summons.items())):
        clock = running_clocks(s).get((e.stage, e.department_id or ""))
        if clock is not None:
            return sid, clock
    return None


def deadline_notice(view: TicketView, e: StageDeadlineSet | DeadlineWarned | TicketEscalated) -> TicketView:
    """时限 / 催办 / 督办 of one department's check-in or co-task; stale ones (the clock stopped) are dropped."""
    found = _clock_of(view, e)
    if found is None:
        return view
    sid, clock = found
    if isinstance(e, StageDeadlineSet):
        # A new or moved deadline: warnings and the ladder start afresh for it.
        clock = _clock(e.deadline.isoformat(), e.warn_at.isoformat() if e.warn_at else None)
    elif isinstance(e, DeadlineWarned):
        clock = {**clock, "warned": True}
    else:
        clock = {**clock, "level": max(clock.get("level", 0), e.level)}
    task = view.summons[sid]["departments"][e.department_id or ""]
    changed = _with_task(view, sid, e.department_id or "", clocks={**task["clocks"], e.stage: clock})
    return view if changed is None else changed


def ended(view: TicketView) -> TicketView:
    """The ticket left the lead's hands (resolved, returned, re-dispatched, reopened, closed, merged): no summons of
    it is open any more, and their clocks stop."""
    if not any(s.get("open") for s in view.summons.values()):
        return view
    return _aggregate(view, {sid: {**s, "open": False} for sid, s in view.summons.items()})
