"""吹哨报到 in TicketWorkflow: one check-in timer per summoned department (due at the summons' `on_site_due`, the
policy's `joint_on_site` from the summons) and one task timer per co-department (the ticket's resolve span from the
summons), stopped by that department's SummonsCheckedIn / SummonsTaskCompleted; overdue ones warn (催办) and escalate
(督办) like any stage, their notices naming the department.

A mixin of TicketWorkflow (deterministic, no I/O): its timers live in the workflow's `_timers` under names
`check_in:<summons>:<department>` / `co_task:<summons>:<department>`, so they are carried across continue-as-new,
shifted by a suspension and cleared by closing like every other timer. These timers start only on the summons
signals, which no run recorded before them ever received, so they need no patch marker of their own; the changed
joint-handling reopen does (patches.SUMMONS_PATCH, in workflows.py).
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from libs.ticket.stages import SUMMONS_STAGES, Stage
from workflows.ticket_lifecycle.shared import StageTimer, TicketEventSignal

if TYPE_CHECKING:
    from workflows.ticket_lifecycle.workflows import TicketWorkflow

# The events after which the lead no longer holds the ticket as summoned: every summons timer stops (the one fold's
# libs.ticket.view.ENDS_SUMMONS, as signalled; closing and merging clear every timer anyway).
ENDS_SUMMONS = frozenset({"TicketDispatched", "TicketSettledOnSpot", "TicketReturned", "TicketResolved", "TicketReopened"})


def timer_name(stage: Stage, summons_id: str, department_id: str) -> str:
    return f"{stage.value}:{summons_id}:{department_id}"


def stage_of(timer: StageTimer) -> str:
    """The stage a timer counts (what its notices name): its name up to the first colon."""
    return timer.name.split(":", 1)[0]


class SummonsTimers:
    """TicketWorkflow's 吹哨报到 signal handlers and their timers."""

    def _on_summoned(self: TicketWorkflow, event: TicketEventSignal) -> bool:
        if not (event.summons_id and event.departments and event.due):
            return False
        lead, *co = event.departments
        for department in event.departments:
            self._timer_starts += 1
            name = timer_name(Stage.check_in, event.summons_id, department)
            self._put(replace(self._clock.until(name, event.occurred_at, event.due, self._timer_starts), department_id=department))
        for department in co:
            self._timer_starts += 1
            name = timer_name(Stage.co_task, event.summons_id, department)
            timer = self._clock.start(name, event.occurred_at, self._sla.stages[Stage.resolve], self._timer_starts)
            self._put(replace(timer, department_id=department))
        self._stop(Stage.joint_handling)  # the summons is the joint handling the community was asked for
        return True

    def _on_checked_in(self: TicketWorkflow, event: TicketEventSignal) -> bool:
        return self._stop_summons_timers(event, Stage.check_in)

    def _on_task_completed(self: TicketWorkflow, event: TicketEventSignal) -> bool:
        # A department done with its task is no longer awaited on site either.
        return self._stop_summons_timers(event, Stage.check_in, Stage.co_task)

    def _stop_summons_timers(self: TicketWorkflow, event: TicketEventSignal, *stages: Stage) -> bool:
        names = [timer_name(stage, event.summons_id or "", event.department_id or "") for stage in stages]
        stopped = [name for name in names if name in self._timers]
        self._stop(*stopped)
        return bool(stopped)

    def _put(self: TicketWorkflow, timer: StageTimer) -> None:
        self._timers[timer.name] = timer
        self._announce(timer)

    def _end_summonses(self: TicketWorkflow, event_type: str) -> None:
        """After an event that ends the lead's holding (ENDS_SUMMONS), no summons timer runs on."""
        if event_type in ENDS_SUMMONS:
            self._stop(*(name for name, timer in self._timers.items() if stage_of(timer) in SUMMONS_STAGES))
