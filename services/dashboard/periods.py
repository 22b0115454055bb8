"""Periods over Beijing days: every dashboard counter is kept per day (UTC+8), so a day, week, month, quarter, year or
custom range is a sum over pre-aggregated rows. The previous period (环比) and the same period a year earlier (同比) are
the ranges a change is measured against. Pure, no I/O."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Literal

BEIJING = timezone(timedelta(hours=8))
PeriodKind = Literal["day", "week", "month", "quarter", "year", "custom", "all"]
KINDS: tuple[str, ...] = ("day", "week", "month", "quarter", "year", "custom", "all")
ALL_TIME = (date(2000, 1, 1), date(2099, 12, 31))
MAX_CUSTOM_DAYS = 3 * 366
LABELS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年", "custom": "自定义", "all": "全部"}


def beijing_day(moment: datetime) -> date:
    """The calendar day in Beijing of an instant (naive datetimes are taken as UTC, as SQLite hands them back)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING).date()


def today() -> date:
    return datetime.now(BEIJING).date()


class PeriodError(ValueError):
    """A period that cannot be: the message names the parameter."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        s, e = self.start, self.end
        if self.kind == "day":
            return f"{s.year}年{s.month}月{s.day}日"
        if self.kind == "month":
            return f"{s.year}年{s.month}月"
        if self.kind == "quarter":
            return f"{s.year}年第{(s.month - 1) // 3 + 1}季度"
        if self.kind == "year":
            return f"{s.year}年"
        if self.kind == "all":
            return "全部时间"
        return f"{s.isoformat()} 至 {e.isoformat()}"

    def previous(self) -> Period:
        """环比: the period just before, of the same kind (a custom range: the same number of days before it)."""
        if self.kind == "all":
            return self
        if self.kind in ("day", "week", "custom"):
            return Period(self.kind, self.start - timedelta(days=self.days), self.start - timedelta(days=1))
        return period_of(self.kind, self.start - timedelta(days=1))

    def year_ago(self) -> Period:
        """同比: the same period one year earlier (29 February falls back to the 28th)."""
        if self.kind == "all":
            return self
        if self.kind == "week":
            return period_of("week", _minus_year(self.start))
        if self.kind in ("day", "custom"):
            return Period(self.kind, _minus_year(self.start), _minus_year(self.end))
        return period_of(self.kind, _minus_year(self.start))


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def period_of(kind: str, anchor: date) -> Period:
    """The day / week (Monday to Sunday) / month / quarter / year that holds `anchor`."""
    if kind == "day":
        return Period(kind, anchor, anchor)
    if kind == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        return Period(kind, anchor.replace(day=1), _month_end(anchor.year, anchor.month))
    if kind == "quarter":
        first = (anchor.month - 1) // 3 * 3 + 1
        return Period(kind, date(anchor.year, first, 1), _month_end(anchor.year, first + 2))
    if kind == "year":
        return Period(kind, date(anchor.year, 1, 1), date(anchor.year, 12, 31))
    raise PeriodError(f"period: {kind!r} 不是可选的周期（{'、'.join(KINDS)}）")


def _parse_day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError(f"{field}: {value!r} 不是有效日期（YYYY-MM-DD）") from None


def parse_period(kind: str = "month", anchor: str | None = None, start: str | None = None, end: str | None = None) -> Period:
    """A period from query parameters: `period` and `date` (any day inside it; default today in Beijing), or
    `period=custom` with `start` and `end` (inclusive, at most about three years), or `period=all` (every day)."""
    if kind not in KINDS:
        raise PeriodError(f"period: {kind!r} 不是可选的周期（{'、'.join(KINDS)}）")
    if kind == "all":
        return Period("all", *ALL_TIME)
    if kind == "custom":
        if not start or not end:
            raise PeriodError(f"{'start' if not start else 'end'}: 自定义周期需要起止日期")
        first, last = _parse_day(start, "start"), _parse_day(end, "end")
        if last < first:
            raise PeriodError("end: 结束日期早于开始日期")
        if (last - first).days + 1 > MAX_CUSTOM_DAYS:
            raise PeriodError(f"end: 自定义周期最长 {MAX_CUSTOM_DAYS} 天")
        return Period("custom", first, last)
    return period_of(kind, _parse_day(anchor, "date") if anchor else today())


def trend_buckets(period: Period) -> list[tuple[str, date, date]]:
    """The points of a trend line over `period`: days for up to 62 days, else months (label, first day, last day)."""
    if period.days <= 62:
        return [(d.isoformat(), d, d) for d in (period.start + timedelta(days=i) for i in range(period.days))]
    buckets, cursor = [], period.start
    while cursor <= period.end:
        last = min(_month_end(cursor.year, cursor.month), period.end)
        buckets.append((f"{cursor.year}-{cursor.month:02d}", cursor, last))
        cursor = last + timedelta(days=1)
    return buckets
