"""时限 at read time: the working time a running stage has left, in Chinese, coloured by how near its warning and
deadline are; a suspended ticket's clock stands still. Times are fixed instants, never the test's clock."""
from datetime import date, datetime, timedelta, timezone

import pytest

from libs.sla.calendar import BEIJING, WorkCalendar
from libs.ticket.deadlines import DeadlineState, beijing_time, time_left
from libs.ticket.table import stage_deadlines
from libs.ticket.worklist import _beijing_midnight

CAL = WorkCalendar()  # Mon-Fri 09:00-12:00 and 13:30-17:30: a 7-hour working day


def bj(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BEIJING)


def test_two_working_days_and_three_hours_are_left_until_a_friday_afternoon_deadline():
    # Tue 24 Nov 14:30 -> Fri 27 Nov 09:30: Tue 3 h + Wed 7 h + Thu 7 h + Fri 0.5 h = 2 working days 3.5 h
    left = time_left(bj(27, 9, 30), None, now=bj(24, 14, 30), calendar=CAL)
    assert left.state is DeadlineState.running
    assert left.working_seconds_left == (3 + 7 + 7 + 0.5) * 3600
    assert left.text == "剩余 2个工作日3小时"


def test_a_weekend_counts_no_working_time():
    left = time_left(bj(30, 10), None, now=bj(27, 17), calendar=CAL)  # Fri 17:00 -> Mon 10:00
    assert left.working_seconds_left == 1.5 * 3600
    assert left.text == "剩余 1小时30分钟"


def test_past_the_warning_the_stage_is_in_warning_and_past_the_deadline_overdue_by_working_time():
    warned = time_left(bj(26, 17, 30), bj(26, 15), now=bj(26, 16), calendar=CAL)
    assert (warned.state, warned.text) == (DeadlineState.warning, "剩余 1小时30分钟")
    late = time_left(bj(25, 12), bj(25, 11), now=bj(26, 15), calendar=CAL)  # Wed noon -> Thu 15:00: 4 + 3 + 1.5 h
    assert late.state is DeadlineState.overdue
    assert late.working_seconds_left == -8.5 * 3600
    assert late.text == "已超时 1个工作日1小时"  # minutes only under a day
    assert time_left(bj(26, 12), None, now=bj(26, 15), calendar=CAL).text == "已超时 1小时30分钟"


def test_outside_working_hours_a_clock_time_deadline_counts_clock_time():
    # an emergency due at 22:00 on Thursday evening, seen at 19:00: no working time left, three hours of clock time
    left = time_left(bj(26, 22), None, now=bj(26, 19), calendar=CAL)
    assert (left.state, left.working_seconds_left, left.text) == (DeadlineState.running, 0, "剩余 3小时")
    late = time_left(bj(26, 22), None, now=bj(26, 23, 15), calendar=CAL)
    assert (late.state, late.text) == (DeadlineState.overdue, "已超时 1小时15分钟")


def test_a_suspended_ticket_says_its_deadlines_are_paused():
    left = time_left(bj(25, 12), None, now=bj(26, 15), calendar=CAL, suspended=True)
    assert (left.state, left.working_seconds_left, left.text) == (DeadlineState.suspended, None, "已挂起，时限暂停")


@pytest.mark.parametrize(("moment", "text"), [
    (datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc), "11月28日 17:30"),
    (datetime(2026, 12, 31, 16, 5, tzinfo=timezone.utc), "1月1日 00:05"),
])
def test_due_times_are_shown_in_beijing_time(moment, text):
    assert beijing_time(moment) == text


def test_the_public_deadlines_carry_the_due_time_state_and_time_left_earliest_first():
    now = bj(24, 10)
    running = {
        "resolve": {"due": (now + timedelta(days=3)).isoformat(), "warn_at": None},
        "accept": {"due": (now - timedelta(hours=1)).isoformat(), "warn_at": (now - timedelta(hours=2)).isoformat()},
    }
    accept, resolve = stage_deadlines(running, suspended=False, now=now)
    assert (accept.stage, accept.state, accept.due_text) == ("accept", DeadlineState.overdue, "11月24日 09:00")
    assert accept.time_left == "已超时 1小时"
    assert (resolve.stage, resolve.state, resolve.time_left) == ("resolve", DeadlineState.running, "剩余 3个工作日")
    assert [d.state for d in stage_deadlines(running, suspended=True, now=now)] == [DeadlineState.suspended] * 2


def test_the_date_filter_counts_beijing_days():
    assert _beijing_midnight(date(2026, 11, 27)) == datetime(2026, 11, 26, 16, tzinfo=timezone.utc)
