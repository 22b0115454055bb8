"""Working-time calendar for stage deadlines: Beijing office hours, statutory holidays and 调休 make-up workdays.

The calculation is pure and deterministic: no I/O, no clock, no tz database (China has no DST, so Beijing is a
fixed UTC+08:00). `WorkCalendar` and `deadline` can therefore run inside the Temporal workflow sandbox; a workflow
receives the calendar as a JSON snapshot (`to_dict` / `from_dict`) in its input, never by reading files.
`load_calendar` is the only function that touches the disk (config/calendar/YYYY.yaml) and belongs in the worker,
an activity or a service, never in workflow code.

Working time is a set of half-open intervals [period start, period end) on every working day. A start outside
working time counts from the next period start; adding exactly the time left in a period ends at that period's
end (e.g. 11:00 + 1 working hour = 12:00), while adding 0 hours at 12:00 normalises to 13:30.
"""
from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

BEIJING = timezone(timedelta(hours=8))  # China Standard Time, no DST: no tz database needed

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))

CLOCK_UNITS: dict[str, float] = {"seconds": 1.0, "minutes": 60.0, "clock_hours": 3600.0, "days": 86400.0}
WORKING_UNITS = ("working_hours", "working_days")
UNITS = (*CLOCK_UNITS, *WORKING_UNITS)

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError(f"expected a date, got a datetime: {value!r}")
    return _from_iso(value, date, "ISO date (YYYY-MM-DD)")


def _as_time(value: Any) -> time:
    return _from_iso(value, time, "ISO time (HH:MM)")


def _from_iso(value: Any, kind: type[date] | type[time], what: str) -> Any:
    """`value` if it already is a `kind`, else parsed from an ISO string; a ValueError naming `what` otherwise."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return kind.fromisoformat(value.strip())
    raise ValueError(f"not an {what}: {value!r}")


def _fmt_time(t: time) -> str:
    return t.strftime("%H:%M") if not t.second and not t.microsecond else t.isoformat()


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _span(amount: float, seconds_per_unit: float) -> timedelta:
    """`amount` units as a timedelta (microsecond precision), refusing negatives, NaN and infinity."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TypeError(f"amount must be a number, got {type(amount).__name__}")
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"amount must be a finite number >= 0, got {amount!r}")
    return timedelta(seconds=amount * seconds_per_unit)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()  # days off: statutory holidays and the 调休 days off
    workdays: frozenset[date] = frozenset()  # 调休 make-up workdays (weekend days that are working days)
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS  # Beijing local working hours, sorted, disjoint
    provisional_years: frozenset[int] = frozenset()  # years whose data awaits the State Council's notice

    def __post_init__(self) -> None:
        # Accept any iterables of dates / ISO strings, store frozensets and tuples (hashable, immutable).
        holidays = frozenset(_as_date(d) for d in self.holidays)
        workdays = frozenset(_as_date(d) for d in self.workdays)
        periods = tuple((_as_time(s), _as_time(e)) for s, e in self.periods)
        years = frozenset(int(y) for y in self.provisional_years)
        both = holidays & workdays
        if both:
            raise ValueError(f"dates both holiday and workday: {', '.join(sorted(d.isoformat() for d in both))}")
        previous_end: time | None = None
        for start, end in periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working periods are Beijing local times and carry no tzinfo")
            if not start < end:
                raise ValueError(f"working period must start before it ends: {start.isoformat()}-{end.isoformat()}")
            if previous_end is not None and start < previous_end:
                raise ValueError("working periods must be sorted and must not overlap")
            previous_end = end
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "provisional_years", years)

    # -- days ---------------------------------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """A weekday that is not a holiday, or a 调休 make-up workday."""
        if isinstance(d, datetime):
            d = d.astimezone(BEIJING).date() if d.tzinfo is not None else d.date()
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)

    def _per_day(self) -> timedelta:
        return sum((datetime.combine(date.min, e) - datetime.combine(date.min, s) for s, e in self.periods), _ZERO)

    def hours_per_day(self) -> float:
        return self._per_day().total_seconds() / 3600.0

    def _periods_on(self, d: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(d):
            return []
        return [(datetime.combine(d, s, BEIJING), datetime.combine(d, e, BEIJING)) for s, e in self.periods]

    # -- arithmetic ---------------------------------------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` of working time after `start` (tz-aware, any zone); returned in UTC."""
        _require_aware("start", start)
        return self._add(start, _span(hours, 3600.0))

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """`days` working days of `hours_per_day()` each (fractions are fine); returned in UTC."""
        _require_aware("start", start)
        return self._add(start, _span(days, self._per_day().total_seconds()))

    def _add(self, start: datetime, remaining: timedelta) -> datetime:
        if self._per_day() <= _ZERO:
            raise ValueError("calendar has no working periods")
        cursor = start.astimezone(BEIJING)
        day = cursor.date()
        while True:
            for period_start, period_end in self._periods_on(day):  # none on a day off
                if cursor >= period_end:
                    continue
                begin = max(cursor, period_start)
                available = period_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(timezone.utc)
                remaining -= available
                cursor = period_end
            day += _ONE_DAY

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Working seconds in [a, b); negative when b is before a."""
        _require_aware("a", a)
        _require_aware("b", b)
        if b < a:
            return -self.working_seconds_between(b, a)
        lo, hi = a.astimezone(BEIJING), b.astimezone(BEIJING)
        total = _ZERO
        day, last = lo.date(), hi.date()
        while day <= last:
            for period_start, period_end in self._periods_on(day):
                overlap = min(hi, period_end) - max(lo, period_start)
                if overlap > _ZERO:
                    total += overlap
            day += _ONE_DAY
        return total.total_seconds()

    # -- snapshot -----------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot (ISO strings, sorted) for a workflow input; `from_dict` rebuilds an equal calendar."""
        return {
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
            "periods": [[_fmt_time(s), _fmt_time(e)] for s, e in self.periods],
            "provisional_years": sorted(self.provisional_years),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorkCalendar:
        unknown = set(d) - {"holidays", "workdays", "periods", "provisional_years"}
        if unknown:
            raise ValueError(f"unknown calendar keys: {', '.join(sorted(unknown))}")
        periods = d.get("periods")
        return cls(
            holidays=frozenset(_as_date(x) for x in d.get("holidays") or ()),
            workdays=frozenset(_as_date(x) for x in d.get("workdays") or ()),
            periods=DEFAULT_PERIODS if periods is None else tuple((_as_time(s), _as_time(e)) for s, e in periods),
            provisional_years=frozenset(int(y) for y in d.get("provisional_years") or ()),
        )


def deadline(calendar: WorkCalendar, start: datetime, amount: float, unit: str) -> datetime:
    """`amount` `unit`s after `start`, in UTC.

    Clock units (seconds, minutes, clock_hours, days = calendar days) ignore the calendar: emergencies run on clock
    time, nights and holidays included. working_hours / working_days count only the calendar's working time.
    """
    _require_aware("start", start)
    if unit in CLOCK_UNITS:
        return (start + _span(amount, CLOCK_UNITS[unit])).astimezone(timezone.utc)
    if unit == "working_hours":
        return calendar.add_working_hours(start, amount)
    if unit == "working_days":
        return calendar.add_working_days(start, amount)
    raise ValueError(f"unknown deadline unit {unit!r}; known: {', '.join(UNITS)}")


# -- loading (I/O: worker, activities and services only, never inside a workflow) ---------------------------------

_YEAR_FILE = re.compile(r"^(\d{4})\.yaml$")
_EXTRA_KEYS = {"holidays", "workdays", "remove"}


def _date_list(value: Any, where: str) -> list[date]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"{where}: expected a list of ISO dates, got {value!r}")
    try:
        return [_as_date(x) for x in value]
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def default_calendar_dir() -> Path:
    """<repo>/config/calendar. A function, not a module constant: Path.resolve is file-system access, which the
    workflow sandbox refuses at import time."""
    return Path(__file__).resolve().parents[2] / "config" / "calendar"


def load_calendar(directory: Path | str | None = None, extra: dict[str, Any] | None = None) -> WorkCalendar:
    """Read every YYYY.yaml in `directory` (default: `default_calendar_dir()`), then apply admin overrides.

    `extra` = {"holidays": [...], "workdays": [...], "remove": [...]}: an added holiday stops being a workday and
    vice versa; `remove` drops a date from both lists, so it falls back to the plain Mon-Fri rule.
    """
    import yaml  # lazily: the calculation part of this module must import cleanly inside the workflow sandbox

    directory = default_calendar_dir() if directory is None else Path(directory)
    holidays: set[date] = set()
    workdays: set[date] = set()
    provisional: set[int] = set()
    files = sorted(p for p in directory.iterdir() if p.is_file() and _YEAR_FILE.match(p.name))
    if not files:
        raise FileNotFoundError(f"no YYYY.yaml calendar files in {directory}")
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping")
        year = int(_YEAR_FILE.match(path.name).group(1))  # type: ignore[union-attr]
        if data.get("year") != year:
            raise ValueError(f"{path}: year {data.get('year')!r} does not match the file name")
        file_holidays = _date_list(data.get("holidays"), f"{path}: holidays")
        file_workdays = _date_list(data.get("workdays"), f"{path}: workdays")
        clash = set(file_holidays) & set(file_workdays)
        if clash:
            raise ValueError(f"{path}: dates both holiday and workday: {sorted(d.isoformat() for d in clash)}")
        holidays.update(file_holidays)
        workdays.update(file_workdays)
        if data.get("provisional", False) is True:
            provisional.add(year)
        elif data.get("provisional", False) is not False:
            raise ValueError(f"{path}: provisional must be true or false")
    if extra:
        unknown = set(extra) - _EXTRA_KEYS
        if unknown:
            raise ValueError(f"unknown calendar override keys: {', '.join(sorted(unknown))}; known: holidays, workdays, remove")
        for d in _date_list(extra.get("remove"), "extra.remove"):
            holidays.discard(d)
            workdays.discard(d)
        add_holidays = _date_list(extra.get("holidays"), "extra.holidays")
        add_workdays = _date_list(extra.get("workdays"), "extra.workdays")
        clash = set(add_holidays) & set(add_workdays)
        if clash:
            raise ValueError(f"extra: dates both holiday and workday: {sorted(d.isoformat() for d in clash)}")
        for d in add_holidays:
            workdays.discard(d)
            holidays.add(d)
        for d in add_workdays:
            holidays.discard(d)
            workdays.add(d)
    return WorkCalendar(
        holidays=frozenset(holidays), workdays=frozenset(workdays), provisional_years=frozenset(provisional)
    )
