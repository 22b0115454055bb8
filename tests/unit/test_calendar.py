"""Working-time calendar: Beijing office hours, 2026 State Council holidays and 调休, clock-time emergencies."""
import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.sla.calendar import BEIJING, WorkCalendar, deadline, load_calendar

UTC = timezone.utc


def bj(y, mo, d, h=0, mi=0, s=0):
    return datetime(y, mo, d, h, mi, s, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar()


# -- the shipped data -------------------------------------------------------------------------------------------


def test_2026_make_up_weekend_days_are_workdays_and_holiday_weekdays_are_not(cal):
    for d in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"):
        assert cal.is_workday(date.fromisoformat(d)), d
    for d in ("2026-01-02", "2026-02-16", "2026-02-23", "2026-04-06", "2026-05-05", "2026-06-19", "2026-09-25",
              "2026-10-01", "2026-10-07"):
        assert not cal.is_workday(date.fromisoformat(d)), d
    assert cal.is_workday(date(2026, 3, 10))  # an ordinary Tuesday
    assert not cal.is_workday(date(2026, 3, 14))  # an ordinary Saturday


def test_2026_has_the_state_councils_count_of_weekday_days_off_and_make_up_days(cal):
    days = [date(2026, 1, 1) + timedelta(i) for i in range(365)]
    weekday_days_off = [d for d in days if d.weekday() < 5 and not cal.is_workday(d)]
    weekend_workdays = [d for d in days if d.weekday() >= 5 and cal.is_workday(d)]
    assert len(weekday_days_off) == 19
    assert len(weekend_workdays) == 6


def test_2027_is_flagged_provisional_and_2026_is_not(cal):
    assert cal.provisional_years == frozenset({2027})
    assert not cal.is_workday(date(2027, 2, 5))  # 除夕
    assert not cal.is_workday(date(2027, 10, 1))


def test_every_year_file_names_its_source_and_provisional_flag():
    import yaml

    for path in sorted((Path(__file__).resolve().parents[2] / "config" / "calendar").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["year"] == int(path.stem)
        assert isinstance(data["provisional"], bool)
        assert data["source"].strip()
        if data["provisional"]:
            assert "confirm" in data["source"]


# -- working hours within and across days -------------------------------------------------------------------------


def test_working_hours_skip_the_lunch_break(cal):
    assert cal.add_working_hours(bj(2026, 3, 10, 11), 2) == bj(2026, 3, 10, 14, 30)


def test_the_morning_ends_at_noon_and_zero_hours_at_noon_waits_for_the_afternoon(cal):
    assert cal.add_working_hours(bj(2026, 3, 10, 11), 1) == bj(2026, 3, 10, 12)
    assert cal.add_working_hours(bj(2026, 3, 10, 12), 0) == bj(2026, 3, 10, 13, 30)
    assert cal.add_working_hours(bj(2026, 3, 10, 12, 45), 0.5) == bj(2026, 3, 10, 14)


def test_adding_zero_hours_inside_working_time_returns_the_start_in_utc(cal):
    result = cal.add_working_hours(bj(2026, 3, 10, 10, 15), 0)
    assert result == bj(2026, 3, 10, 10, 15)
    assert result.tzinfo == UTC
    assert result.isoformat() == "2026-03-10T02:15:00+00:00"


def test_friday_afternoon_plus_four_working_hours_lands_on_monday_morning(cal):
    assert cal.add_working_hours(bj(2026, 3, 13, 15), 4) == bj(2026, 3, 16, 10, 30)


def test_a_start_at_night_counts_from_the_next_morning(cal):
    assert cal.add_working_hours(bj(2026, 3, 10, 22), 1) == bj(2026, 3, 11, 10)
    assert cal.add_working_hours(bj(2026, 3, 11, 6, 30), 0) == bj(2026, 3, 11, 9)


def test_a_start_just_after_beijing_midnight_given_in_utc_uses_the_beijing_date(cal):
    # 16:30Z on Tue 10 March is 00:30 on Wed 11 March in Beijing.
    start = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
    assert cal.add_working_hours(start, 1) == datetime(2026, 3, 11, 2, 0, tzinfo=UTC)


def test_a_start_in_another_timezone_is_converted(cal):
    start = datetime(2026, 3, 10, 2, 0, tzinfo=timezone(timedelta(hours=1)))  # 09:00 Beijing
    assert cal.add_working_hours(start, 3) == bj(2026, 3, 10, 12)


def test_a_start_after_the_last_period_on_friday_waits_for_monday(cal):
    assert cal.add_working_hours(bj(2026, 3, 13, 17, 30), 0.25) == bj(2026, 3, 16, 9, 15)


def test_a_start_on_a_holiday_counts_from_the_first_workday_after_it(cal):
    assert cal.add_working_hours(bj(2026, 10, 1, 10), 1) == bj(2026, 10, 8, 10)
    assert cal.add_working_hours(bj(2026, 5, 3, 15), 0) == bj(2026, 5, 6, 9)


# -- working days across the 2026 holidays -----------------------------------------------------------------------


def test_a_working_day_is_seven_hours_of_beijing_office_time(cal):
    assert cal.hours_per_day() == 7.0
    assert cal.add_working_days(bj(2026, 3, 10, 10), 1) == bj(2026, 3, 11, 10)
    assert cal.add_working_days(bj(2026, 3, 10, 9), 1) == bj(2026, 3, 10, 17, 30)
    assert cal.add_working_days(bj(2026, 3, 10, 9), 0.5) == bj(2026, 3, 10, 14)


def test_three_working_days_from_the_tuesday_before_national_day_jump_the_golden_week(cal):
    # Tue 29 Sep 10:00: Tue and Wed are worked, 1-7 Oct is off, Thu 8 and Fri 9 Oct are worked.
    assert cal.add_working_days(bj(2026, 9, 29, 10), 3) == bj(2026, 10, 9, 10)


def test_the_national_day_make_up_saturday_counts_as_a_working_day(cal):
    assert cal.add_working_days(bj(2026, 9, 29, 10), 4) == bj(2026, 10, 10, 10)  # Sat 10 Oct, 调休
    assert cal.add_working_days(bj(2026, 9, 29, 10), 5) == bj(2026, 10, 12, 10)  # Sun 11 Oct is off
    assert cal.working_seconds_between(bj(2026, 10, 9, 17, 30), bj(2026, 10, 12, 9)) == 7 * 3600


def test_the_september_make_up_sunday_before_national_day_counts(cal):
    # Fri 18 Sep 17:00 + 1h: half an hour on Friday, then Sun 20 Sep is a 调休 workday.
    assert cal.add_working_hours(bj(2026, 9, 18, 17), 1) == bj(2026, 9, 20, 9, 30)


def test_spring_festival_uses_its_make_up_saturdays(cal):
    # Fri 13 Feb 16:30 + 5h: 1h Friday, then Sat 14 Feb (调休) 09:00-12:00 and 13:30-14:30.
    assert cal.add_working_hours(bj(2026, 2, 13, 16, 30), 5) == bj(2026, 2, 14, 14, 30)
    # From that Saturday, one working day skips 15-23 Feb and lands on Tue 24 Feb.
    assert cal.add_working_days(bj(2026, 2, 14, 10), 1) == bj(2026, 2, 24, 10)
    # Sat 28 Feb is worked too.
    assert cal.add_working_hours(bj(2026, 2, 27, 17), 1) == bj(2026, 2, 28, 9, 30)


def test_new_year_2026_make_up_sunday_and_2027_provisional_spring_festival(cal):
    assert cal.add_working_hours(bj(2025, 12, 31, 17), 1) == bj(2026, 1, 4, 9, 30)
    # 2027: 除夕 Fri 5 Feb to Wed 10 Feb off (provisional), so Thu 4 Feb 17:00 + 1h is Thu 11 Feb 09:30.
    assert cal.add_working_hours(bj(2027, 2, 4, 17), 1) == bj(2027, 2, 11, 9, 30)


# -- deadline units ----------------------------------------------------------------------------------------------


def test_an_emergency_on_clock_hours_runs_through_the_night_and_the_holiday(cal):
    assert deadline(cal, bj(2026, 10, 1, 22, 30), 4, "clock_hours") == bj(2026, 10, 2, 2, 30)
    assert deadline(cal, bj(2026, 10, 1, 23, 50), 30, "minutes") == bj(2026, 10, 2, 0, 20)
    assert deadline(cal, bj(2026, 10, 1, 23, 59, 30), 45, "seconds") == bj(2026, 10, 2, 0, 0, 15)
    assert deadline(cal, bj(2026, 10, 1, 22, 30), 2, "days") == bj(2026, 10, 3, 22, 30)
    assert deadline(cal, bj(2026, 10, 1, 22, 30), 4, "clock_hours").tzinfo == UTC


def test_deadline_working_units_match_the_calendar_methods(cal):
    start = bj(2026, 9, 29, 10)
    assert deadline(cal, start, 3, "working_days") == cal.add_working_days(start, 3)
    assert deadline(cal, start, 21, "working_hours") == cal.add_working_days(start, 3)


def test_deadline_refuses_unknown_units_naive_starts_and_negative_amounts(cal):
    with pytest.raises(ValueError, match="unknown deadline unit 'weeks'"):
        deadline(cal, bj(2026, 3, 10, 10), 1, "weeks")
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(cal, datetime(2026, 3, 10, 10), 1, "working_hours")
    with pytest.raises(ValueError, match=">= 0"):
        deadline(cal, bj(2026, 3, 10, 10), -1, "clock_hours")
    with pytest.raises(ValueError, match=">= 0"):
        cal.add_working_hours(bj(2026, 3, 10, 10), float("nan"))


# -- working_seconds_between -------------------------------------------------------------------------------------


def test_working_seconds_between_counts_only_office_time(cal):
    assert cal.working_seconds_between(bj(2026, 3, 10, 11), bj(2026, 3, 10, 14, 30)) == 2 * 3600
    assert cal.working_seconds_between(bj(2026, 3, 13, 15), bj(2026, 3, 16, 10, 30)) == 4 * 3600
    assert cal.working_seconds_between(bj(2026, 9, 30, 17, 30), bj(2026, 10, 8, 9)) == 0
    assert cal.working_seconds_between(bj(2026, 3, 16, 10, 30), bj(2026, 3, 13, 15)) == -4 * 3600


STARTS = [bj(2026, 9, 18, 16, 59), bj(2026, 9, 29, 10), bj(2026, 2, 13, 23, 59), bj(2026, 10, 3, 12),
          bj(2026, 12, 31, 17, 29, 59), bj(2026, 3, 10, 12), datetime(2026, 4, 30, 20, 0, tzinfo=UTC)]
AMOUNTS = [0, 0.25, 1, 2.5, 3, 7, 11.75, 21, 70]


@pytest.mark.parametrize("start", STARTS, ids=lambda s: s.isoformat())
def test_working_seconds_between_inverts_add_working_hours_on_real_dates(cal, start):
    previous = None
    for hours in AMOUNTS:
        end = cal.add_working_hours(start, hours)
        assert cal.working_seconds_between(start, end) == pytest.approx(hours * 3600, abs=1e-6)
        assert cal.add_working_hours(start, cal.working_seconds_between(start, end) / 3600) == end
        if previous is not None:
            assert end >= previous
        previous = end


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 12, 31),
                       timezones=st.sampled_from([UTC, BEIJING, timezone(timedelta(hours=-5))])),
    hours=st.floats(min_value=0, max_value=200, allow_nan=False),
    more=st.floats(min_value=0, max_value=50, allow_nan=False),
)
def test_property_working_seconds_between_agrees_with_add_working_hours(cal, start, hours, more):
    end = cal.add_working_hours(start, hours)
    assert end.tzinfo == UTC
    assert end >= start
    assert cal.is_workday(end.astimezone(BEIJING).date())
    assert cal.working_seconds_between(start, end) == pytest.approx(hours * 3600, abs=1e-5)
    # Adding in two steps reaches the same working instant as adding once (up to microsecond rounding of each
    # step). "Same working instant", not the same datetime: a first step that ends at 17:30 followed by 0 hours
    # normalises to the next morning's 09:00, with no working time in between.
    split = cal.add_working_hours(end, more)
    once = cal.add_working_hours(start, hours + more)
    assert abs(cal.working_seconds_between(split, once)) <= 2e-6
    if more > 0.001:
        assert abs((split - once).total_seconds()) <= 2e-6
    # The result always lies inside a working period (or at its end).
    local = end.astimezone(BEIJING).time()
    assert any(s <= local <= e for s, e in cal.periods)


# -- snapshot and overrides --------------------------------------------------------------------------------------


def test_to_dict_is_json_safe_and_round_trips(cal):
    snapshot = json.loads(json.dumps(cal.to_dict()))
    assert snapshot["periods"] == [["09:00", "12:00"], ["13:30", "17:30"]]
    assert "2026-10-10" in snapshot["workdays"] and "2026-10-01" in snapshot["holidays"]
    assert snapshot["provisional_years"] == [2027]
    rebuilt = WorkCalendar.from_dict(snapshot)
    assert rebuilt == cal
    assert rebuilt.add_working_days(bj(2026, 9, 29, 10), 4) == bj(2026, 10, 10, 10)


def test_from_dict_accepts_custom_periods_and_rejects_unknown_keys():
    custom = WorkCalendar.from_dict({"holidays": [], "workdays": [], "periods": [["08:30", "12:00"]]})
    assert custom.periods == ((time(8, 30), time(12, 0)),)
    assert custom.hours_per_day() == 3.5
    with pytest.raises(ValueError, match="unknown calendar keys: hollidays"):
        WorkCalendar.from_dict({"hollidays": []})


def test_a_date_cannot_be_both_a_holiday_and_a_workday():
    with pytest.raises(ValueError, match="2026-10-10"):
        WorkCalendar(holidays=frozenset({date(2026, 10, 10)}), workdays=frozenset({date(2026, 10, 10)}))


def test_admin_override_adds_a_holiday_and_removes_another():
    extra = {"holidays": ["2026-03-10"], "remove": ["2026-10-07", "2026-10-10"]}
    cal = load_calendar(extra=extra)
    assert not cal.is_workday(date(2026, 3, 10))  # added day off
    assert cal.is_workday(date(2026, 10, 7))  # holiday removed: an ordinary Wednesday again
    assert not cal.is_workday(date(2026, 10, 10))  # make-up workday removed: an ordinary Saturday again
    assert cal.add_working_hours(bj(2026, 3, 9, 17), 1) == bj(2026, 3, 11, 9, 30)
    assert cal.add_working_hours(bj(2026, 10, 1, 10), 1) == bj(2026, 10, 7, 10)


def test_admin_override_can_declare_a_make_up_workday_and_rejects_unknown_keys():
    cal = load_calendar(extra={"workdays": ["2027-02-20"]})
    assert cal.is_workday(date(2027, 2, 20))
    with pytest.raises(ValueError, match="unknown calendar override keys: holiday"):
        load_calendar(extra={"holiday": ["2026-03-10"]})


def test_load_calendar_reads_any_directory_of_year_files(tmp_path):
    (tmp_path / "2030.yaml").write_text(
        "year: 2030\nsource: test\nprovisional: true\nholidays: ['2030-01-01']\nworkdays: ['2030-01-05']\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.yaml").write_text("ignored: true\n", encoding="utf-8")
    cal = load_calendar(tmp_path)
    assert cal.holidays == frozenset({date(2030, 1, 1)})
    assert cal.workdays == frozenset({date(2030, 1, 5)})
    assert cal.provisional_years == frozenset({2030})
    (tmp_path / "2031.yaml").write_text("year: 2030\nholidays: []\nworkdays: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="does not match the file name"):
        load_calendar(tmp_path)


# -- the Temporal workflow sandbox -------------------------------------------------------------------------------


from temporalio import workflow  # noqa: E402


@workflow.defn(name="CalendarSandboxProbe", sandboxed=True)
class CalendarSandboxProbe:
    """Never run here: the worker-side validation below imports this module inside the sandbox."""

    @workflow.run
    async def run(self, snapshot: dict) -> str:
        start = datetime.fromisoformat("2026-09-29T10:00:00+08:00")
        return deadline(WorkCalendar.from_dict(snapshot), start, 4, "working_days").isoformat()


async def test_the_calendar_module_imports_inside_the_temporal_workflow_sandbox():
    # A worker validates each workflow by importing its module in the sandbox, where module-level file-system
    # access (e.g. Path.resolve for the config directory) is refused. No server is needed for this check.
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    restrictions = SandboxRestrictions.default.with_passthrough_modules("pytest", "_pytest", "hypothesis")
    SandboxedWorkflowRunner(restrictions=restrictions).prepare_workflow(
        workflow._Definition.must_from_class(CalendarSandboxProbe)
    )
