"""The clock arithmetic of TicketWorkflow, pure: the ticket's SLA slice and calendar in, ISO-8601 times out.

No Temporal and no I/O, so it is unit-tested on its own (tests/unit/test_ticket_timers.py) and safe in the
workflow sandbox. The workflow decides *when* a clock starts, moves or fires; this module says *what the clock
reads*. Every expression is the one the workflow evaluated before it moved here: a different float operation order
could move a deadline by a microsecond and with it a timer in the histories of tickets already running.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from libs.sla.calendar import WorkCalendar, deadline
from libs.sla.policy import Span, TicketSla
from libs.ticket import Stage
from workflows.ticket_lifecycle.shared import MAX_ESCALATION_LEVEL, StageTimer

REARM_AFTER_S = 30.0  # waits longer than this are re-armed shortly before they are due...
REARM_LEAD_S = 5.0  # ...this many seconds before

WARNED, ESCALATED, RATING_EXPIRED = "warned", "escalated", "rating_expired"  # the alarm kinds (DeadlineNotice.kind)
CALLBACK_DUE = "callback_due"  # the rating window passed: 回访 (CallbackRequested), not an alarm kind of its own
DEADLINE_SET = "deadline_set"  # not an alarm: a started or moved deadline, announced (StageDeadlineSet)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def first_wait(remaining: float) -> float:
    """Seconds to wait for an alarm `remaining` seconds away. A Temporal timer starts when the server records the
    workflow task, not at workflow.now(): under load that is seconds later, so a long wait stops REARM_LEAD_S early
    and the workflow re-arms the rest from a fresh now()."""
    return remaining if remaining <= REARM_AFTER_S else remaining - REARM_LEAD_S


def shifted(timer: StageTimer, paused: timedelta) -> StageTimer:
    """The timer after a suspension of `paused` (clock time): start, warning and deadline all move by it."""
    return replace(
        timer,
        started_at=(at(timer.started_at) + paused).isoformat(),
        deadline=(at(timer.deadline) + paused).isoformat(),
        warn_at=(at(timer.warn_at) + paused).isoformat() if timer.warn_at else None,
    )


@dataclass(frozen=True)
class Alarm:
    """What the workflow waits for next: `kind` of `timer` at `when`."""

    when: datetime
    timer: StageTimer
    kind: str


@dataclass(frozen=True)
class TicketClock:
    """One ticket's SLA slice and calendar, and what they make of stage timers."""

    sla: TicketSla
    calendar: WorkCalendar

    def start(self, name: str, started: str, span: Span, cycle: int) -> StageTimer:
        """A stage timer from `started`: due after `span`, warned at the policy's fraction of it (rating: no warning)."""
        start = at(started)
        due = deadline(self.calendar, start, span.amount, span.unit)
        warn = (
            deadline(self.calendar, start, span.amount * self.sla.warning_fraction, span.unit) if name != Stage.rating else None
        )
        return StageTimer(
            name=name, started_at=start.isoformat(), deadline=due.isoformat(), warn_at=warn.isoformat() if warn else None, cycle=cycle
        )

    def until(self, name: str, started: str, due: str, cycle: int) -> StageTimer:
        """A timer from `started` due at a given time (a summons' on-site due), warned at the policy's fraction of the
        (clock) time between."""
        start, end = at(started), at(due)
        warn = start + (end - start) * self.sla.warning_fraction
        warn_at = warn.isoformat() if start < warn < end else None
        return StageTimer(name=name, started_at=start.isoformat(), deadline=end.isoformat(), warn_at=warn_at, cycle=cycle)

    def extended(self, timer: StageTimer, granted_at: str, span: Span, cycle: int) -> StageTimer:
        """The timer after an extension of `span` granted at `granted_at`: the deadline moves by `span` (working time
        from the old deadline), the warning re-arms at the policy's fraction of the time left, the ladder restarts."""
        new_deadline = deadline(self.calendar, at(timer.deadline), span.amount, span.unit)
        granted = at(granted_at)
        warn = granted + (new_deadline - granted) * self.sla.warning_fraction
        warn_at = warn.isoformat() if warn > granted else None
        return replace(timer, deadline=new_deadline.isoformat(), warn_at=warn_at, warned=warn_at is None, level=0, cycle=cycle)

    def escalation_due(self, timer: StageTimer, level: int) -> datetime:
        """Level 1 at the deadline, level 2 a ladder delay later, level 3 a further delay after level 2."""
        due = at(timer.deadline)
        if level >= 2:
            due = deadline(self.calendar, due, self.sla.level2_after.amount, self.sla.level2_after.unit)
        if level >= 3:
            due = deadline(self.calendar, due, self.sla.level3_after.amount, self.sla.level3_after.unit)
        return due

    def alarm_of(self, timer: StageTimer) -> Alarm | None:
        """The timer's next alarm: the rating window's end, else its warning, else its next escalation level."""
        if timer.name == Stage.rating:
            return Alarm(at(timer.deadline), timer, RATING_EXPIRED)
        if not timer.warned and timer.warn_at:
            return Alarm(at(timer.warn_at), timer, WARNED)
        if timer.level < MAX_ESCALATION_LEVEL:
            return Alarm(self.escalation_due(timer, timer.level + 1), timer, ESCALATED)
        return None

    def next_alarm(self, timers: Iterable[StageTimer]) -> Alarm | None:
        """The earliest alarm of all `timers`; a tie goes to the timer whose name sorts first."""
        alarms = [alarm for alarm in map(self.alarm_of, timers) if alarm is not None]
        return min(alarms, key=lambda a: (a.when, a.timer.name), default=None)
