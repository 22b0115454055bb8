"""Beijing-day bounds compared with stored times are given in UTC: SQLite keeps times as UTC text without a zone and
compares the text, so a bound zoned +08:00 was read 8 hours off. From 00:00 to 08:00 Beijing the points' daily cap
counted nothing (the full run here at 00:26 Beijing found it); the dashboard's and the worklist's day bounds had the
same form."""
from datetime import date, datetime, timezone

from libs.ticket.worklist import _beijing_midnight
from services.dashboard.periods import period_of
from services.dashboard.queries import _bounds
from services.wishes.points import _start_of_day

UTC = timezone.utc


def test_the_day_bounds_are_utc_instants_of_beijing_midnight():
    just_after_midnight = datetime(2026, 11, 27, 16, 26, tzinfo=UTC)  # 00:26 on 28 November in Beijing
    start = _start_of_day(just_after_midnight)
    assert start == datetime(2026, 11, 27, 16, 0, tzinfo=UTC) and start.utcoffset().total_seconds() == 0
    midnight = _beijing_midnight(date(2026, 11, 28))
    assert midnight == start and midnight.utcoffset().total_seconds() == 0
    first, last = _bounds(period_of("day", date(2026, 11, 28)))
    assert first == start and first.utcoffset().total_seconds() == 0 and last.utcoffset().total_seconds() == 0
    assert last > datetime(2026, 11, 28, 15, 59, tzinfo=UTC)
