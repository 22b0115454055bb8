"""The notify tests' clock shows Beijing daytime whatever the hour CI runs at, and never runs behind the real one."""
from datetime import datetime, timezone

from services.notify.domain import BEIJING, quiet_until
from tests.integration.notify_helpers import daytime_clock


def test_a_night_run_sees_ten_in_the_morning_and_a_day_run_sees_the_real_time():
    night = datetime(2026, 11, 27, 22, 14, tzinfo=BEIJING)
    shown = daytime_clock(night)().astimezone(BEIJING)
    real = datetime.now(timezone.utc).astimezone(BEIJING)
    assert shown >= real and 8 <= shown.hour < 21 and quiet_until(shown) is None

    early = datetime(2026, 11, 28, 6, 59, tzinfo=BEIJING)
    assert daytime_clock(early)() - datetime.now(timezone.utc) > (datetime(2026, 11, 28, 9, 59, tzinfo=BEIJING) - early)

    noon = datetime(2026, 11, 28, 12, 0, tzinfo=BEIJING)
    assert abs((daytime_clock(noon)() - datetime.now(timezone.utc)).total_seconds()) < 5
