"""吹哨报到's timer pieces without Temporal: a check-in clock due at the summons' own due time, timer names per
department, and the workflow and the fold agreeing on which events end a summons."""
from __future__ import annotations

from datetime import timedelta

from libs.ticket import Stage
from libs.ticket.view import ENDS_SUMMONS as FOLD_ENDS_SUMMONS
from tests.unit.test_ticket_timers import CLOCK, bj
from workflows.ticket_lifecycle.summons import ENDS_SUMMONS, stage_of, timer_name
from workflows.ticket_lifecycle.timers import ESCALATED, WARNED


def test_a_check_in_clock_runs_to_the_due_time_the_summons_carries_in_clock_time() -> None:
    # Friday 17:20 Beijing: the 30 minutes run past the working day (an on-site due is clock time, as dispatch set it).
    start, due = bj(8, 17, 20), bj(8, 17, 50)
    timer = CLOCK.until("check_in:S-1:water", start.isoformat(), due.isoformat(), cycle=7)

    assert (timer.deadline, timer.cycle) == (due.isoformat(), 7)
    assert timer.warn_at == (start + timedelta(minutes=24)).isoformat()  # the policy's 0.8 of the span
    assert (CLOCK.alarm_of(timer).kind, CLOCK.alarm_of(timer).when) == (WARNED, start + timedelta(minutes=24))
    timer.warned = True
    assert (CLOCK.alarm_of(timer).kind, CLOCK.alarm_of(timer).when) == (ESCALATED, due)


def test_a_due_time_already_passed_escalates_without_a_warning() -> None:
    timer = CLOCK.until("check_in:S-1:water", bj(8, 10).isoformat(), bj(8, 9, 59).isoformat(), cycle=1)
    assert timer.warn_at is None and CLOCK.alarm_of(timer).kind == ESCALATED


def test_each_department_has_its_own_timer_named_by_stage_summons_and_department() -> None:
    names = {timer_name(stage, "S-1", dept) for stage in (Stage.check_in, Stage.co_task) for dept in ("water", "power")}
    assert len(names) == 4
    timer = CLOCK.until(timer_name(Stage.co_task, "S-1", "water"), bj(8, 10).isoformat(), bj(8, 11).isoformat(), cycle=1)
    assert stage_of(timer) == "co_task"
    assert stage_of(CLOCK.start(Stage.resolve, bj(8, 10).isoformat(), CLOCK.sla.stages["resolve"], 1)) == "resolve"


def test_the_workflow_and_the_fold_end_a_summons_on_the_same_events() -> None:
    # Closing, merging and 回访 end every timer of the workflow anyway; the rest must agree by name.
    assert ENDS_SUMMONS == {cls.__name__ for cls in FOLD_ENDS_SUMMONS} - {"TicketClosed", "TicketMerged", "CallbackRequested"}
