"""TicketWorkflow: every stage's deadline in working time, 催办 warnings, and the escalation ladder.

Deterministic by construction: no I/O here; deadlines come from the SLA and calendar snapshots in the input
(pure functions), stage start times from the events' own `occurred_at` (so a late signal never extends a
deadline), "now" from `workflow.now()`, and every Kafka publish goes through an activity.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from libs.sla.calendar import WorkCalendar, deadline
from libs.sla.policy import Span, TicketSla
from workflows.ticket_lifecycle.shared import (
    ACCEPT,
    AWAITING_ACCEPTANCE,
    AWAITING_DISPATCH,
    AWAITING_RATING,
    CLOSED,
    CONTACT,
    DISPATCH,
    IN_PROGRESS,
    JOINT_HANDLING,
    MAX_ESCALATION_LEVEL,
    RATING,
    RESOLVE,
    DeadlineNotice,
    StageTimer,
    TicketEventSignal,
    TicketWorkflowInput,
)

with workflow.unsafe.imports_passed_through():
    from workflows.ticket_lifecycle.activities import TicketActivities

MAX_SEEN_EVENT_IDS = 200  # enough for any real ticket's life; keeps the carried state small
PUBLISH_TIMEOUT = timedelta(seconds=30)
REARM_AFTER_S = 30.0  # waits longer than this are re-armed shortly before they are due...
REARM_LEAD_S = 5.0  # ...this many seconds before
PUBLISH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


@workflow.defn
class TicketWorkflow:
    """One per ticket (workflow id = ticket id); started by TicketFiled, moved by `ticket_event` signals."""

    @workflow.init
    def __init__(self, input: TicketWorkflowInput) -> None:
        # State lives on the instance from the start so signals delivered with the first task are not lost.
        self._input = input
        self._sla = TicketSla.from_dict(input.sla)
        self._calendar = WorkCalendar.from_dict(input.calendar)
        self._stage = input.stage
        self._department_id = input.department_id
        self._seen_event_ids = list(input.seen_event_ids)
        self._seen = set(self._seen_event_ids)
        self._escalations_total = input.escalations_total
        self._warnings_total = input.warnings_total
        self._dispatch_cycle = input.dispatch_cycle
        self._reopen_count = input.reopen_count
        self._returns = dict(input.returns_by_department)
        self._suspended_at = input.suspended_at
        self._pending_extension = input.pending_extension
        self._extensions_granted = input.extensions_granted
        self._joint_handling = input.joint_handling
        self._timers: dict[str, StageTimer] = {t.name: t for t in (input.timers or [])}
        self._timer_starts = input.timer_starts
        self._immediate: list[DeadlineNotice] = []
        self._changes = 0
        self._closed_at: str | None = None
        if input.timers is None:  # a fresh ticket: the community's dispatch clock starts at filing
            self._start(DISPATCH, input.filed_at, self._sla.stages[DISPATCH])

    @workflow.run
    async def run(self, input: TicketWorkflowInput) -> dict[str, Any]:
        while self._stage != CLOSED:
            if self._immediate:  # before any continue-as-new: pending notices are not carried over
                await self._publish(self._immediate.pop(0))
                continue
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._immediate:  # a signal meanwhile may have queued one
                    workflow.continue_as_new(self._carried_state())
                continue
            changes = self._changes
            alarm = self._next_alarm()
            if alarm is None:
                await workflow.wait_condition(lambda: self._changes != changes or self._must_continue())
                continue
            when, timer, kind = alarm
            remaining = (when - workflow.now()).total_seconds()
            if remaining > 0:
                # A timer starts when the server records this task, not at workflow.now(): under load that shifts
                # it by seconds. A long wait therefore stops REARM_LEAD_S early and re-arms from a fresh now().
                wait = remaining if remaining <= REARM_AFTER_S else remaining - REARM_LEAD_S
                try:
                    await workflow.wait_condition(
                        lambda: self._changes != changes or self._must_continue(),
                        timeout=wait,
                        timeout_summary=f"{timer.name}:{kind}",
                    )
                    continue
                except asyncio.TimeoutError:
                    if wait < remaining:
                        continue
            await self._fire(timer, kind)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._summary()

    # ------------------------------------------------------------------ signals and queries

    @workflow.signal(name="ticket_event")
    def ticket_event(self, event: TicketEventSignal) -> None:
        """Apply a ticket event once; redelivered events (same event id) and events after closing are ignored."""
        if event.event_id in self._seen or self._stage == CLOSED:
            return
        self._remember(event.event_id)
        at = event.occurred_at
        kind = event.type
        if kind == "TicketDispatched":
            self._stop(DISPATCH, ACCEPT, RESOLVE)
            self._department_id = event.department_id or self._department_id
            self._stage = AWAITING_ACCEPTANCE
            self._start(ACCEPT, at, self._sla.stages[ACCEPT])
            self._start(RESOLVE, at, self._sla.stages[RESOLVE])  # the resolution clock runs from dispatch
        elif kind == "TicketAccepted":
            self._stop(ACCEPT)
            self._stage = IN_PROGRESS
            self._start(CONTACT, at, self._sla.stages[CONTACT])
        elif kind == "ResidentContacted":
            self._stop(CONTACT)
        elif kind == "TicketReturned":
            self._stop(ACCEPT, CONTACT, RESOLVE)
            department = event.department_id or self._department_id or "unknown"
            self._returns[department] = self._returns.get(department, 0) + 1
            self._back_to_community(at, self._sla.stages[DISPATCH])
        elif kind == "ExtensionRequested":
            self._pending_extension = event.event_id
        elif kind == "ExtensionGranted":
            self._pending_extension = None
            self._extensions_granted += 1
            self._extend(RESOLVE, at, Span(event.amount or 0, event.unit or "working_days"))
        elif kind == "ExtensionRefused":
            self._pending_extension = None  # the deadline stays where it was
        elif kind in ("TicketResolved", "TicketSettledOnSpot"):
            self._stop(DISPATCH, ACCEPT, CONTACT, RESOLVE)
            self._stage = AWAITING_RATING
            self._start(RATING, at, self._sla.stages[RATING])
        elif kind == "TicketReopened":
            self._stop(RATING)
            self._reopen_count = event.reopen_count or self._reopen_count + 1
            if event.joint_handling:  # 重办 failed again: the street convenes the departments (联席办)
                self._joint_handling = True
                self._back_to_community(at, self._sla.joint_on_site)
                self._timer_starts += 1
                self._immediate.append(self._notice("escalated", JOINT_HANDLING, 2, at, self._timer_starts))
                self._escalations_total += 1
            else:
                self._back_to_community(at, self._sla.stages[DISPATCH])
        elif kind in ("TicketClosed", "TicketMerged"):
            self._timers.clear()
            self._stage = CLOSED
            self._closed_at = at
        elif kind == "TicketSuspended":
            self._suspended_at = self._suspended_at or at
        elif kind == "TicketResumed" and self._suspended_at:
            paused = _dt(at) - _dt(self._suspended_at)
            for timer in self._timers.values():
                timer.started_at = (_dt(timer.started_at) + paused).isoformat()
                timer.deadline = (_dt(timer.deadline) + paused).isoformat()
                timer.warn_at = (_dt(timer.warn_at) + paused).isoformat() if timer.warn_at else None
            self._suspended_at = None
        else:
            workflow.logger.warning("ignoring ticket event %s: it changes no timer", kind)
            return
        self._changes += 1

    @workflow.query(name="state")
    def state(self) -> dict[str, Any]:
        return {
            "ticket_id": self._input.ticket_id,
            "stage": self._stage,
            "department_id": self._department_id,
            "policy_version": self._sla.policy_version,
            "seen_events": len(self._seen_event_ids),
            "timers": {
                name: {"deadline": t.deadline, "warn_at": t.warn_at, "warned": t.warned, "level": t.level, "cycle": t.cycle}
                for name, t in sorted(self._timers.items())
            },
            "escalation_level": max((t.level for t in self._timers.values()), default=0),
            "escalations_total": self._escalations_total,
            "warnings_total": self._warnings_total,
            "returns_by_department": dict(self._returns),
            "reopen_count": self._reopen_count,
            "joint_handling": self._joint_handling,
            "suspended": self._suspended_at is not None,
            "pending_extension": self._pending_extension,
            "extensions_granted": self._extensions_granted,
        }

    # ------------------------------------------------------------------ timers

    def _start(self, name: str, at: str, span: Span) -> None:
        start = _dt(at)
        self._timer_starts += 1  # every start gets its own cycle, so its warnings/escalations get new event ids
        cycle = self._timer_starts
        due = deadline(self._calendar, start, span.amount, span.unit)
        warn = deadline(self._calendar, start, span.amount * self._sla.warning_fraction, span.unit) if name != RATING else None
        self._timers[name] = StageTimer(
            name=name, started_at=start.isoformat(), deadline=due.isoformat(), warn_at=warn.isoformat() if warn else None, cycle=cycle
        )

    def _stop(self, *names: str) -> None:
        for name in names:
            self._timers.pop(name, None)

    def _back_to_community(self, at: str, span: Span) -> None:
        self._stage = AWAITING_DISPATCH
        self._dispatch_cycle += 1
        self._start(DISPATCH, at, span)

    def _extend(self, name: str, at: str, span: Span) -> None:
        """A granted extension moves the deadline; warnings and the ladder start afresh for the new one."""
        timer = self._timers.get(name)
        if timer is None or span.amount <= 0:
            return
        new_deadline = deadline(self._calendar, _dt(timer.deadline), span.amount, span.unit)
        granted = _dt(at)
        warn = granted + (new_deadline - granted) * self._sla.warning_fraction
        timer.deadline = new_deadline.isoformat()
        timer.warn_at = warn.isoformat() if warn > granted else None
        timer.warned = timer.warn_at is None
        timer.level = 0
        self._timer_starts += 1
        timer.cycle = self._timer_starts

    def _escalation_due(self, timer: StageTimer, level: int) -> datetime:
        """Level 1 at the deadline, level 2 a ladder delay later, level 3 a further delay after level 2."""
        due = _dt(timer.deadline)
        if level >= 2:
            due = deadline(self._calendar, due, self._sla.level2_after.amount, self._sla.level2_after.unit)
        if level >= 3:
            due = deadline(self._calendar, due, self._sla.level3_after.amount, self._sla.level3_after.unit)
        return due

    def _next_alarm(self) -> tuple[datetime, StageTimer, str] | None:
        if self._suspended_at is not None:
            return None
        alarms: list[tuple[datetime, str, StageTimer, str]] = []
        for timer in self._timers.values():
            if timer.name == RATING:
                alarms.append((_dt(timer.deadline), timer.name, timer, "rating_expired"))
            elif not timer.warned and timer.warn_at:
                alarms.append((_dt(timer.warn_at), timer.name, timer, "warned"))
            elif timer.level < MAX_ESCALATION_LEVEL:
                alarms.append((self._escalation_due(timer, timer.level + 1), timer.name, timer, "escalated"))
        if not alarms:
            return None
        when, _, timer, kind = min(alarms, key=lambda a: (a[0], a[1]))
        return when, timer, kind

    async def _fire(self, timer: StageTimer, kind: str) -> None:
        # State changes before the activity runs: a signal meanwhile (e.g. a dispatch) must not be overwritten.
        if kind == "warned":
            timer.warned = True
            self._warnings_total += 1
            notice = self._notice("warned", timer.name, 0, timer.deadline, timer.cycle)
        elif kind == "escalated":
            timer.level += 1
            self._escalations_total += 1
            notice = self._notice("escalated", timer.name, timer.level, timer.deadline, timer.cycle)
        else:  # the rating window passed without a rating: the ticket closes (默认满意 is feedback's call)
            self._timers.pop(timer.name, None)
            notice = self._notice("rating_expired", timer.name, 0, timer.deadline, timer.cycle)
            self._stage = CLOSED
            self._closed_at = workflow.now().isoformat()
        await self._publish(notice)

    def _notice(self, kind: str, stage: str, level: int, due: str, cycle: int) -> DeadlineNotice:
        return DeadlineNotice(
            kind=kind,
            ticket_id=self._input.ticket_id,
            stage=stage,
            level=level,
            cycle=cycle,
            deadline=due,
            community_id=self._input.community_id,
            department_id=self._department_id,
        )

    async def _publish(self, notice: DeadlineNotice) -> None:
        # A local activity: the publish runs in this worker and is recorded as a marker, which halves what the
        # Temporal server must do per alarm (no activity task round trip) -- the server is the scarce resource.
        await workflow.execute_local_activity_method(
            TicketActivities.publish_deadline_event,
            notice,
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
        )

    # ------------------------------------------------------------------ bookkeeping

    def _must_continue(self) -> bool:
        return workflow.info().is_continue_as_new_suggested()

    def _remember(self, event_id: str) -> None:
        self._seen_event_ids.append(event_id)
        self._seen.add(event_id)
        if len(self._seen_event_ids) > MAX_SEEN_EVENT_IDS:
            self._seen.discard(self._seen_event_ids.pop(0))

    def _carried_state(self) -> TicketWorkflowInput:
        return replace(
            self._input,
            stage=self._stage,
            department_id=self._department_id,
            timers=list(self._timers.values()),
            seen_event_ids=list(self._seen_event_ids),
            escalations_total=self._escalations_total,
            warnings_total=self._warnings_total,
            dispatch_cycle=self._dispatch_cycle,
            reopen_count=self._reopen_count,
            returns_by_department=dict(self._returns),
            suspended_at=self._suspended_at,
            pending_extension=self._pending_extension,
            extensions_granted=self._extensions_granted,
            joint_handling=self._joint_handling,
            timer_starts=self._timer_starts,
        )

    def _summary(self) -> dict[str, Any]:
        return {
            "ticket_id": self._input.ticket_id,
            "community_id": self._input.community_id,
            "department_id": self._department_id,
            "category": self._input.category,
            "urgency": self._input.urgency,
            "policy_version": self._sla.policy_version,
            "stage": self._stage,
            "filed_at": self._input.filed_at,
            "closed_at": self._closed_at,
            "events_seen": len(self._seen_event_ids),
            "escalations": self._escalations_total,
            "warnings": self._warnings_total,
            "dispatch_cycles": self._dispatch_cycle + 1,
            "returns_by_department": dict(self._returns),
            "reopen_count": self._reopen_count,
            "joint_handling": self._joint_handling,
        }
