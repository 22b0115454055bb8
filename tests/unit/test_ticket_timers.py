"""The clock arithmetic of TicketWorkflow (workflows/ticket_lifecycle/timers.py), without Temporal."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from libs.sla.calendar import BEIJING, WorkCalendar
from libs.sla.policy import Span, TicketSla
from libs.ticket import Stage
from workflows.ticket_lifecycle.shared import StageTimer
from workflows.ticket_lifecycle.timers import (
    ESCALATED,
    RATING_EXPIRED,
    REARM_AFTER_S,
    REARM_LEAD_S,
    WARNED,
    TicketClock,
    first_wait,
    shifted,
)

# Mon 2026-05-11 is a day off here (an explicit calendar, not the real one); working hours 9-12 and 13:30-17:30.
CALENDAR = WorkCalendar(holidays={date(2026, 5, 11)})
SLA = TicketSla(
    policy_version=4,
    warning_fraction=0.8,
    stages={s.value: Span(1, "working_days") for s in (Stage.dispatch, Stage.accept, Stage.contact, Stage.resolve, Stage.rating)},
    level2_after=Span(1, "working_hours"),
    level3_after=Span(2, "working_hours"),
    joint_on_site=Span(30, "minutes"),
)
CLOCK = TicketClock(SLA, CALENDAR)


def bj(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


def timer(name: str = Stage.resolve, *, deadline: datetime, warn_at: datetime | None, **fields) -> StageTimer:
    return StageTimer(name=name, started_at=bj(8, 9).isoformat(), deadline=deadline.isoformat(), warn_at=warn_at and warn_at.isoformat(), **fields)


# --------------------------------------------------------------------------- starting a stage timer


def test_a_clock_span_runs_through_nights_and_days_off_and_warns_at_the_policy_fraction() -> None:
    started = bj(8, 10)  # Friday

    t = CLOCK.start(Stage.dispatch, started.isoformat(), Span(2, "clock_hours"), cycle=5)

    assert t == StageTimer(
        name=Stage.dispatch,
        started_at=started.isoformat(),
        deadline=bj(8, 12).astimezone(timezone.utc).isoformat(),
        warn_at=bj(8, 11, 36).astimezone(timezone.utc).isoformat(),  # 80% of two hours
        warned=False,
        level=0,
        cycle=5,
    )


def test_a_working_day_span_skips_the_weekend_and_the_holiday() -> None:
    # Friday 16:30: one working hour left that day; Sat, Sun and the Monday holiday are off; 6 more hours on Tuesday.
    t = CLOCK.start(Stage.resolve, bj(8, 16, 30).isoformat(), Span(1, "working_days"), cycle=1)

    assert datetime.fromisoformat(t.deadline) == bj(12, 16, 30)
    # 80% of 7 h = 5.6 h = 5 h 36 min: 1 h on Friday, 3 h Tuesday morning, 1 h 36 min after the lunch break.
    assert datetime.fromisoformat(t.warn_at) == bj(12, 15, 6)


def test_the_rating_window_has_no_warning() -> None:
    t = CLOCK.start(Stage.rating, bj(8, 10).isoformat(), Span(3, "days"), cycle=2)

    assert (t.warn_at, datetime.fromisoformat(t.deadline)) == (None, bj(11, 10))


# --------------------------------------------------------------------------- extensions


def test_an_extension_moves_the_deadline_rearms_the_warning_and_restarts_the_ladder() -> None:
    before = timer(deadline=bj(8, 12), warn_at=bj(8, 11, 36), warned=True, level=2, cycle=3)

    after = CLOCK.extended(before, bj(8, 11).isoformat(), Span(2, "clock_hours"), cycle=9)

    assert datetime.fromisoformat(after.deadline) == bj(8, 14)
    assert datetime.fromisoformat(after.warn_at) == bj(8, 13, 24)  # 80% of the 3 h from the grant to the new deadline
    assert (after.warned, after.level, after.cycle) == (False, 0, 9)
    assert (after.name, after.started_at) == (before.name, before.started_at)
    assert (before.deadline, before.level) == (bj(8, 12).isoformat(), 2), "the old timer is left as it was"


def test_an_extension_in_working_time_counts_from_the_old_deadline() -> None:
    before = timer(deadline=bj(8, 17), warn_at=None, warned=True, cycle=3)

    after = CLOCK.extended(before, bj(8, 16).isoformat(), Span(1, "working_hours"), cycle=4)

    assert datetime.fromisoformat(after.deadline) == bj(12, 9, 30)  # half an hour on Friday, half on Tuesday


def test_an_extension_granted_after_its_new_deadline_has_nothing_left_to_warn() -> None:
    before = timer(deadline=bj(8, 12), warn_at=bj(8, 11, 36), cycle=3)

    after = CLOCK.extended(before, bj(8, 15).isoformat(), Span(1, "clock_hours"), cycle=4)

    assert datetime.fromisoformat(after.deadline) == bj(8, 13)
    assert (after.warn_at, after.warned, after.level) == (None, True, 0)


# --------------------------------------------------------------------------- the escalation ladder and the next alarm


def test_the_ladder_escalates_at_the_deadline_then_after_each_working_time_delay() -> None:
    t = timer(deadline=bj(8, 17), warn_at=None, warned=True)

    assert [CLOCK.escalation_due(t, level) for level in (1, 2, 3)] == [
        bj(8, 17),
        bj(12, 9, 30),  # 1 working hour: Friday 17:00-17:30, then Tuesday (Monday is off)
        bj(12, 11, 30),  # 2 more
    ]


@pytest.mark.parametrize(
    ("fields", "kind", "when"),
    [
        ({"warned": False}, WARNED, bj(8, 11, 36)),
        ({"warned": True, "level": 0}, ESCALATED, bj(8, 12)),
        ({"warned": True, "level": 1}, ESCALATED, bj(8, 14, 30)),  # one working hour later; 12:00-13:30 is lunch
        ({"warned": True, "level": 2}, ESCALATED, bj(8, 16, 30)),
        ({"warned": True, "level": 3}, None, None),  # the ladder ends at level 3
    ],
)
def test_a_stage_timer_warns_then_climbs_the_ladder_one_alarm_at_a_time(fields: dict, kind: str | None, when: datetime | None) -> None:
    t = timer(deadline=bj(8, 12), warn_at=bj(8, 11, 36), **fields)

    alarm = CLOCK.alarm_of(t)

    assert (alarm and alarm.kind, alarm and alarm.when) == (kind, when)
    assert alarm is None or alarm.timer is t


def test_the_rating_window_closes_at_its_deadline_without_a_ladder() -> None:
    t = timer(Stage.rating, deadline=bj(8, 12), warn_at=None, level=3)

    alarm = CLOCK.alarm_of(t)

    assert alarm is not None and (alarm.kind, alarm.when) == (RATING_EXPIRED, bj(8, 12))


def test_the_next_alarm_is_the_earliest_of_all_timers_and_a_tie_goes_to_the_first_name() -> None:
    accept = timer(Stage.accept, deadline=bj(8, 12), warn_at=bj(8, 11))
    resolve = timer(Stage.resolve, deadline=bj(12, 12), warn_at=bj(8, 11))
    contact = timer(Stage.contact, deadline=bj(8, 10, 30), warn_at=None, warned=True, level=3)  # done climbing

    alarm = CLOCK.next_alarm([resolve, contact, accept])

    assert alarm is not None and (alarm.timer.name, alarm.kind, alarm.when) == (Stage.accept, WARNED, bj(8, 11))
    assert CLOCK.next_alarm([contact]) is None
    assert CLOCK.next_alarm([]) is None


# --------------------------------------------------------------------------- suspension and long waits


def test_resuming_shifts_start_warning_and_deadline_by_the_paused_clock_time() -> None:
    t = timer(deadline=bj(8, 12), warn_at=bj(8, 11, 36), warned=False, level=1, cycle=7)
    paused = timedelta(hours=50, seconds=3)

    moved = shifted(t, paused)

    assert datetime.fromisoformat(moved.started_at) == bj(8, 9) + paused
    assert datetime.fromisoformat(moved.deadline) == bj(8, 12) + paused
    assert datetime.fromisoformat(moved.warn_at) == bj(8, 11, 36) + paused
    assert (moved.warned, moved.level, moved.cycle) == (False, 1, 7)
    assert shifted(replace(t, warn_at=None), paused).warn_at is None


@pytest.mark.parametrize(
    ("remaining", "wait"),
    [(0.5, 0.5), (REARM_AFTER_S, REARM_AFTER_S), (REARM_AFTER_S + 1, REARM_AFTER_S + 1 - REARM_LEAD_S), (3600.0, 3600.0 - REARM_LEAD_S)],
)
def test_a_long_wait_stops_early_to_be_rearmed_and_a_short_one_does_not(remaining: float, wait: float) -> None:
    assert first_wait(remaining) == wait
