"""时限 at read time: how much working time a running stage has left and how near its warning and deadline are,
computed when a list or a ticket is read, so every API shows it as of the moment it answers (the deadlines themselves
come from the workflow as StageDeadlineSet and move with extensions, suspensions, returns and reopens).

Working time is the repo's calendar (config/calendar, `load_calendar`); the admin's overrides reach the workflow on
the `config` topic and so the deadlines it sets, while this display counts the time left by the files."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from enum import StrEnum

from libs.sla.calendar import BEIJING, WorkCalendar, load_calendar

SUSPENDED_TEXT = "已挂起，时限暂停"
_MINUTE, _HOUR, _DAY = 60, 3600, 86400


class DeadlineState(StrEnum):
    running = "running"  # time left, the warning not yet due
    warning = "warning"  # 催办: past the warning time, before the deadline
    overdue = "overdue"  # past the deadline
    suspended = "suspended"  # 挂起: no clock runs; the deadline moves on resume


@functools.cache
def default_calendar() -> WorkCalendar:
    """The calendar files, read once per process."""
    return load_calendar()


@dataclass(frozen=True)
class TimeLeft:
    state: DeadlineState
    working_seconds_left: int | None  # negative: working time past the deadline; None while suspended
    text: str  # 剩余 2个工作日3小时 / 已超时 5小时 / 已挂起，时限暂停


def time_left(
    due: datetime, warn_at: datetime | None, *, now: datetime, calendar: WorkCalendar, suspended: bool = False
) -> TimeLeft:
    """Where a running stage stands at `now`. Outside working hours before a clock-time deadline (an emergency's
    hours run at night too) the working time left is nil, so the text counts clock time instead."""
    if suspended:
        return TimeLeft(DeadlineState.suspended, None, SUSPENDED_TEXT)
    if now >= due:
        working = int(calendar.working_seconds_between(due, now))
        span = working_span(working, calendar) if working >= _MINUTE else clock_span((now - due).total_seconds())
        return TimeLeft(DeadlineState.overdue, -working, f"已超时 {span}")
    working = int(calendar.working_seconds_between(now, due))
    span = working_span(working, calendar) if working >= _MINUTE else clock_span((due - now).total_seconds())
    state = DeadlineState.warning if warn_at is not None and now >= warn_at else DeadlineState.running
    return TimeLeft(state, working, f"剩余 {span}")


def working_span(seconds: float, calendar: WorkCalendar) -> str:
    """Working seconds as 工作日 of the calendar's length, hours and (under a day) minutes: 2个工作日3小时."""
    per_day = int(calendar.hours_per_day() * _HOUR) or _DAY
    days, rest = divmod(int(seconds), per_day)
    return _join((days, "个工作日"), (rest // _HOUR, "小时"), (0 if days else rest % _HOUR // _MINUTE, "分钟"))


def clock_span(seconds: float) -> str:
    """Clock seconds as days, hours and (under a day) minutes: 1天2小时."""
    days, rest = divmod(int(seconds), _DAY)
    return _join((days, "天"), (rest // _HOUR, "小时"), (0 if days else rest % _HOUR // _MINUTE, "分钟"))


def _join(*parts: tuple[int, str]) -> str:
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "不到1分钟"


def beijing_time(moment: datetime) -> str:
    """11月28日 17:30, in Beijing time."""
    local = moment.astimezone(BEIJING)
    return f"{local.month}月{local.day}日 {local:%H:%M}"
