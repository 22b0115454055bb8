"""Periods are sums over Beijing days: a ticket filed at 23:30 on 30 November in Beijing (15:30 UTC) is November's, one
filed at 00:30 on 1 December (16:30 UTC on 30 November) is December's; weeks, quarters, years, custom ranges, 环比, 同比."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from services.dashboard.periods import PeriodError, beijing_day, parse_period, period_of, trend_buckets
from services.dashboard.queries import summary, trend
from tests.unit.dashboard_events import Life, apply, new_session


@pytest.fixture
def session():
    with new_session() as s:
        yield s


def test_beijing_days_turn_at_16_utc():
    assert beijing_day(datetime(2026, 11, 30, 15, 59, tzinfo=timezone.utc)) == date(2026, 11, 30)
    assert beijing_day(datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)) == date(2026, 12, 1)
    assert beijing_day(datetime(2026, 11, 30, 16, 0)) == date(2026, 12, 1)  # naive = UTC (SQLite)


def test_period_shapes_and_their_previous_and_year_ago_periods():
    month = parse_period("month", "2026-03-31")
    assert (month.start, month.end, month.previous().start, month.previous().end) == (
        date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28))
    assert (month.year_ago().start, month.year_ago().end) == (date(2025, 3, 1), date(2025, 3, 31))
    week = parse_period("week", "2026-11-26")  # a Thursday: Monday 23 to Sunday 29
    assert (week.start, week.end, week.previous().start) == (date(2026, 11, 23), date(2026, 11, 29), date(2026, 11, 16))
    quarter = period_of("quarter", date(2026, 11, 5))
    assert (quarter.start, quarter.end, quarter.previous().start, quarter.label) == (
        date(2026, 10, 1), date(2026, 12, 31), date(2026, 7, 1), "2026年第4季度")
    year = parse_period("year", "2024-02-29")
    assert (year.start, year.end, year.year_ago().start) == (date(2024, 1, 1), date(2024, 12, 31), date(2023, 1, 1))
    custom = parse_period("custom", start="2026-11-25", end="2026-12-04")
    assert (custom.days, custom.previous().start, custom.previous().end) == (10, date(2026, 11, 15), date(2026, 11, 24))
    assert parse_period("day", "2024-02-29").year_ago().start == date(2023, 2, 28)


@pytest.mark.parametrize(("args", "field"), [
    (("fortnight",), "period"), (("month", "2026-13-01"), "date"), (("custom", None, None, "2026-01-01"), "start"),
    (("custom", None, "2026-02-01", "2026-01-01"), "end"), (("custom", None, "2020-01-01", "2026-01-01"), "end"),
])
def test_a_bad_period_names_its_parameter(args, field):
    with pytest.raises(PeriodError, match=f"^{field}:"):
        parse_period(*args)


def test_period_sums_split_at_the_beijing_month_end(session):
    late_november, early_december = Life("N1"), Life("D1")
    apply(session, late_november.filed("2026-11-30 23:30"), late_november.settled("2026-12-01 00:10"),
          early_december.filed("2026-12-01 00:30"), Life("O1").filed("2026-10-31 23:59"))
    november, december = summary(session, "all", parse_period("month", "2026-11-01")), summary(session, "all", parse_period("month", "2026-12-01"))
    assert (november.filed, november.rates.closure_rate) == (1, 1.0)  # handled in December, counted with its filing
    assert (december.filed, december.rates.closure_rate) == (1, 0.0)
    assert summary(session, "all", parse_period("quarter", "2026-11-01")).filed == 3
    assert summary(session, "all", parse_period("custom", start="2026-11-30", end="2026-12-01")).filed == 2
    assert december.previous.closure_rate == 1.0 and december.change["closure_rate"] == -100.0
    assert november.change["filed"] == 0.0 and november.change_yoy["filed"] is None  # nothing a year before


def test_year_on_year_compares_the_same_month(session):
    apply(session, Life("Y1").filed("2025-11-10 10:00"), Life("Y2").filed("2026-11-10 10:00"), Life("Y3").filed("2026-11-11 10:00"))
    november = summary(session, "all", parse_period("month", "2026-11-15"))
    assert (november.filed, november.year_ago.response_rate, november.change_yoy["filed"]) == (2, 0.0, 1.0)


def test_the_trend_is_daily_for_a_month_and_monthly_for_a_year(session):
    apply(session, Life("A").filed("2026-11-02 10:00"), Life("B").filed("2026-11-02 11:00"), Life("C").filed("2026-03-02 11:00"))
    daily = trend(session, "all", parse_period("month", "2026-11-01"))
    assert len(daily) == 30 and daily[1] == {**daily[1], "label": "2026-11-02", "filed": 2}
    monthly = trend(session, "all", parse_period("year", "2026-01-01"))
    assert [p["label"] for p in monthly][:3] == ["2026-01", "2026-02", "2026-03"] and monthly[2]["filed"] == 1
    assert len(trend_buckets(parse_period("custom", start="2026-01-01", end="2026-03-04"))) == 3
