"""TicketWorkflow: every stage's deadline in working time, 催办 warnings, and the escalation ladder.

Deterministic by construction: no I/O here; deadlines come from the SLA and calendar snapshots in the input
(pure functions), stage start times from the events' own `occurred_at` (so a late signal never extends a
deadline), "now" from `workflow.now()`, and every Kafka publish goes through an activity.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import RetryPolicy

from libs.sla.calendar import WorkCalendar
from libs.sla.policy import Span, TicketSla
from libs.ticket import Stage
from workflows.ticket_lifecycle.patches import (
    A7E32EF_PATCH, CALLBACK_PATCH, DEADLINE_EVENTS_PATCH, RECATEGORIZE_PATCH, SUMMONS_PATCH, UNMARKED_A7E32EF_SINCE,
)
from workflows.ticket_lifecycle.shared import (
    AWAITING_ACCEPTANCE, AWAITING_CALLBACK, AWAITING_DISPATCH, AWAITING_RATING, CLOSED, IN_PROGRESS,
    DeadlineNotice, StageTimer, TicketEventSignal, TicketWorkflowInput,
)
from workflows.ticket_lifecycle.summons import SummonsTimers, stage_of
from workflows.ticket_lifecycle.timers import (
    CALLBACK_DUE, DEADLINE_SET, ESCALATED, RATING_EXPIRED, WARNED, Alarm, TicketClock, at, first_wait, shifted,
)

with workflow.unsafe.imports_passed_through():
    from workflows.ticket_lifecycle.activities import TicketActivities

MAX_SEEN_EVENT_IDS = 200  # enough for any real ticket's life; keeps the carried state small
PUBLISH_TIMEOUT = timedelta(seconds=30)
PUBLISH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn
class TicketWorkflow(SummonsTimers):
    """One per ticket (workflow id = ticket id); started by TicketFiled, moved by `ticket_event` signals."""

    @workflow.init
    def __init__(self, input: TicketWorkflowInput) -> None:
        # State lives on the instance from the start so signals delivered with the first task are not lost.
        self._input = input
        self._sla = TicketSla.from_dict(input.sla)
        self._clock = TicketClock(self._sla, WorkCalendar.from_dict(input.calendar))
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
            self._start(Stage.dispatch, input.filed_at, self._sla.stages[Stage.dispatch])

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
            remaining = (alarm.when - workflow.now()).total_seconds()
            if remaining > 0:
                # A long wait stops early and re-arms from a fresh now() (not in runs started before a7e32ef).
                wait = first_wait(remaining) if self._since_a7e32ef() else remaining
                try:
                    await workflow.wait_condition(
                        lambda: self._changes != changes or self._must_continue(),
                        timeout=wait,
                        timeout_summary=f"{alarm.timer.name}:{alarm.kind}",
                    )
                    continue
                except asyncio.TimeoutError:
                    if wait < remaining:
                        continue
            await self._fire(alarm)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._summary()

    # ------------------------------------------------------------------ signals and queries

    @workflow.signal(name="ticket_event")
    def ticket_event(self, event: TicketEventSignal) -> None:
        """Apply a ticket event once; redelivered events (same event id) and events after closing are ignored."""
        if event.event_id in self._seen or self._stage == CLOSED:
            return
        self._remember(event.event_id)
        apply = self.ON_EVENT.get(event.type)
        self._end_summonses(event.type)  # 吹哨报到 timers stop when the lead no longer holds the ticket
        if apply is None:
            workflow.logger.warning("ignoring ticket event %s: it changes no timer", event.type)
        elif apply(self, event):
            self._changes += 1  # wakes the alarm loop

    # One small method per signalled event type; each returns whether the event moved the ticket.

    def _on_dispatched(self, event: TicketEventSignal) -> bool:
        self._stop(Stage.dispatch, Stage.joint_handling, Stage.accept, Stage.resolve)
        self._department_id = event.department_id or self._department_id
        self._stage = AWAITING_ACCEPTANCE
        self._start(Stage.accept, event.occurred_at, self._sla.stages[Stage.accept])
        self._start(Stage.resolve, event.occurred_at, self._sla.stages[Stage.resolve])  # resolution runs from dispatch
        return True

    def _on_assigned_to_community(self, event: TicketEventSignal) -> bool:
        """街道分拨 placed the ticket in a community: later notices name it. No timer (hence no command) changes: the
        dispatch clock runs from filing; the new community is carried across continue-as-new in the input."""
        if event.community_id:
            self._input = replace(self._input, community_id=event.community_id)
        return False

    def _on_accepted(self, event: TicketEventSignal) -> bool:
        self._stop(Stage.accept)
        self._stage = IN_PROGRESS
        self._start(Stage.contact, event.occurred_at, self._sla.stages[Stage.contact])
        return True

    def _on_contacted(self, event: TicketEventSignal) -> bool:
        self._stop(Stage.contact)
        return True

    def _on_returned(self, event: TicketEventSignal) -> bool:
        self._stop(Stage.accept, Stage.contact, Stage.resolve)
        department = event.department_id or self._department_id or "unknown"
        self._returns[department] = self._returns.get(department, 0) + 1
        self._back_to_community(event.occurred_at, self._sla.stages[Stage.dispatch])
        return True

    def _on_extension_requested(self, event: TicketEventSignal) -> bool:
        self._pending_extension = event.event_id
        return True

    def _on_extension_granted(self, event: TicketEventSignal) -> bool:
        self._pending_extension = None
        self._extensions_granted += 1
        self._extend(Stage.resolve, event.occurred_at, Span(event.amount or 0, event.unit or "working_days"))
        return True

    def _on_extension_refused(self, event: TicketEventSignal) -> bool:
        self._pending_extension = None  # the deadline stays where it was
        return True

    def _on_resolved(self, event: TicketEventSignal) -> bool:  # also 即办 (settled on the spot)
        self._stop(Stage.dispatch, Stage.joint_handling, Stage.accept, Stage.contact, Stage.resolve)
        self._stage = AWAITING_RATING
        self._start(Stage.rating, event.occurred_at, self._sla.stages[Stage.rating])
        return True

    def _on_reopened(self, event: TicketEventSignal) -> bool:
        self._stop(Stage.rating, Stage.callback)
        self._reopen_count = event.reopen_count or self._reopen_count + 1
        if not event.joint_handling:
            self._back_to_community(event.occurred_at, self._sla.stages[Stage.dispatch])
            return True
        self._joint_handling = True
        if workflow.patched(SUMMONS_PATCH):  # 联席办 is a summons: the community has joint_on_site to 吹哨报到
            self._back_to_community(event.occurred_at, self._sla.joint_on_site, Stage.joint_handling)
            return True
        # Runs from before: the street convenes the departments, the dispatch clock on joint_on_site, level 2 at once.
        self._back_to_community(event.occurred_at, self._sla.joint_on_site)
        self._timer_starts += 1
        self._immediate.append(self._notice(ESCALATED, Stage.joint_handling, 2, event.occurred_at, self._timer_starts))
        self._escalations_total += 1
        return True

    def _on_recategorized(self, event: TicketEventSignal) -> bool:
        """分类调整 (only while the community holds the ticket): the new category's clocks from now on. The stages to
        come take its spans; the running dispatch clock keeps its start, and the 催办/督办 it already sent, but is due
        after the new span (announced when the deadline moves; already past, the ladder goes on at once)."""
        sla = event.slas.get(self._input.urgency) or event.slas.get("ordinary")
        if sla is None or not workflow.patched(RECATEGORIZE_PATCH):
            return False
        self._sla = TicketSla.from_dict(sla)
        self._clock = replace(self._clock, sla=self._sla)
        self._input = replace(self._input, category=event.category or self._input.category, sla=sla)  # carried on
        timer = self._timers.get(Stage.dispatch)
        if timer is not None:
            moved = self._clock.start(Stage.dispatch, timer.started_at, self._sla.stages[Stage.dispatch], timer.cycle)
            if moved.deadline != timer.deadline:
                self._timers[Stage.dispatch] = replace(moved, warned=timer.warned, level=timer.level)
                self._announce(self._timers[Stage.dispatch])
        return True

    def _on_closed(self, event: TicketEventSignal) -> bool:  # also merged into another ticket
        self._timers.clear()
        self._stage = CLOSED
        self._closed_at = event.occurred_at
        return True

    def _on_suspended(self, event: TicketEventSignal) -> bool:
        self._suspended_at = self._suspended_at or event.occurred_at
        return True

    def _on_resumed(self, event: TicketEventSignal) -> bool:
        if not self._suspended_at:
            workflow.logger.warning("ignoring ticket event %s: it changes no timer", event.type)
            return False
        paused = at(event.occurred_at) - at(self._suspended_at)
        self._timers = {name: shifted(timer, paused) for name, timer in self._timers.items()}
        self._suspended_at = None
        for timer in self._timers.values():
            self._announce(timer)
        return True

    ON_EVENT: ClassVar[dict[str, Callable[[TicketWorkflow, TicketEventSignal], bool]]] = {
        "TicketDispatched": _on_dispatched,
        "TicketAssignedToCommunity": _on_assigned_to_community,
        "TicketAccepted": _on_accepted,
        "ResidentContacted": _on_contacted,
        "TicketReturned": _on_returned,
        "ExtensionRequested": _on_extension_requested,
        "ExtensionGranted": _on_extension_granted,
        "ExtensionRefused": _on_extension_refused,
        "TicketResolved": _on_resolved,
        "TicketSettledOnSpot": _on_resolved,
        "TicketReopened": _on_reopened,
        "TicketClosed": _on_closed,
        "TicketMerged": _on_closed,
        "TicketRecategorized": _on_recategorized,
        "TicketSuspended": _on_suspended,
        "TicketResumed": _on_resumed,
        "DepartmentsSummoned": SummonsTimers._on_summoned,
        "SummonsCheckedIn": SummonsTimers._on_checked_in,
        "SummonsTaskCompleted": SummonsTimers._on_task_completed,
    }

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

    # ------------------------------------------------------------------ timers (the arithmetic is in timers.py)

    def _start(self, name: str, started: str, span: Span) -> None:
        self._timer_starts += 1  # every start gets its own cycle, so its warnings/escalations get new event ids
        self._timers[name] = self._clock.start(name, started, span, self._timer_starts)
        self._announce(self._timers[name])

    def _announce(self, timer: StageTimer) -> None:
        """Queue StageDeadlineSet for a started or moved deadline (published by the loop, like 联席办's escalation)."""
        if workflow.patched(DEADLINE_EVENTS_PATCH):
            notice = self._notice(DEADLINE_SET, stage_of(timer), 0, timer.deadline, timer.cycle, timer.department_id)
            self._immediate.append(replace(notice, warn_at=timer.warn_at))

    def _stop(self, *names: str) -> None:
        for name in names:
            self._timers.pop(name, None)

    def _back_to_community(self, started: str, span: Span, stage: Stage = Stage.dispatch) -> None:
        self._stage = AWAITING_DISPATCH
        self._dispatch_cycle += 1
        self._start(stage, started, span)

    def _extend(self, name: str, granted_at: str, span: Span) -> None:
        """A granted extension moves the deadline; warnings and the ladder start afresh for the new one."""
        timer = self._timers.get(name)
        if timer is None or span.amount <= 0:
            return
        self._timer_starts += 1
        self._timers[name] = self._clock.extended(timer, granted_at, span, self._timer_starts)
        self._announce(self._timers[name])

    def _next_alarm(self) -> Alarm | None:
        return None if self._suspended_at is not None else self._clock.next_alarm(self._timers.values())

    async def _fire(self, alarm: Alarm) -> None:
        # State changes before the activity runs: a signal meanwhile (e.g. a dispatch) must not be overwritten.
        timer = alarm.timer
        if alarm.kind == WARNED:
            timer.warned = True
            self._warnings_total += 1
            notice = self._notice(WARNED, stage_of(timer), 0, timer.deadline, timer.cycle, timer.department_id)
        elif alarm.kind == ESCALATED:
            timer.level += 1
            self._escalations_total += 1
            notice = self._notice(ESCALATED, stage_of(timer), timer.level, timer.deadline, timer.cycle, timer.department_id)
        elif workflow.patched(CALLBACK_PATCH):  # nobody rated in time: 回访, the community calls the resident back
            self._timers.pop(timer.name, None)
            self._stage = AWAITING_CALLBACK
            self._start(Stage.callback, timer.deadline, self._sla.callback)  # warned and escalated like any stage
            callback = self._timers[Stage.callback]
            notice = self._notice(CALLBACK_DUE, Stage.callback, 0, callback.deadline, callback.cycle)
        else:  # runs from before the callback stage: the rating window passing closes the ticket
            self._timers.pop(timer.name, None)
            notice = self._notice(RATING_EXPIRED, timer.name, 0, timer.deadline, timer.cycle)
            self._stage = CLOSED
            self._closed_at = workflow.now().isoformat()
        await self._publish(notice)

    def _notice(self, kind: str, stage: str, level: int, due: str, cycle: int, department_id: str | None = None) -> DeadlineNotice:
        return DeadlineNotice(
            kind=kind,
            ticket_id=self._input.ticket_id,
            stage=stage,
            level=level,
            cycle=cycle,
            deadline=due,
            community_id=self._input.community_id,
            department_id=department_id or self._department_id,  # a summons timer names its department
        )

    async def _publish(self, notice: DeadlineNotice) -> None:
        if self._since_a7e32ef():
            # A local activity runs in this worker and is recorded as a marker, which halves what the Temporal
            # server must do per alarm (no activity task round trip) -- the server is the scarce resource.
            await workflow.execute_local_activity_method(
                TicketActivities.publish_deadline_event, notice, start_to_close_timeout=PUBLISH_TIMEOUT, retry_policy=PUBLISH_RETRY
            )
        else:  # tickets started before a7e32ef: an activity task, as their histories hold
            await workflow.execute_activity_method(
                TicketActivities.publish_deadline_event, notice, start_to_close_timeout=PUBLISH_TIMEOUT, retry_policy=PUBLISH_RETRY
            )

    @staticmethod
    def _since_a7e32ef() -> bool:
        """Whether this run publishes through a local activity and re-arms long waits (see A7E32EF_PATCH).

        patched() first, always: on a new run it records the marker (at the run's first timed wait or publish) and
        is True; on replay it is True only where the history has the marker. It is memoized per run, so a run
        never changes its mind."""
        return workflow.patched(A7E32EF_PATCH) or workflow.info().workflow_start_time >= UNMARKED_A7E32EF_SINCE

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
        i = self._input
        return {
            "ticket_id": i.ticket_id, "community_id": i.community_id, "department_id": self._department_id,
            "category": i.category, "urgency": i.urgency, "policy_version": self._sla.policy_version, "stage": self._stage,
            "filed_at": i.filed_at, "closed_at": self._closed_at, "events_seen": len(self._seen_event_ids),
            "escalations": self._escalations_total, "warnings": self._warnings_total,
            "dispatch_cycles": self._dispatch_cycle + 1, "returns_by_department": dict(self._returns),
            "reopen_count": self._reopen_count, "joint_handling": self._joint_handling,
        }
