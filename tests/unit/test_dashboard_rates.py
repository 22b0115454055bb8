"""The rates (rates.py) on hand-built ticket lives projected into the read model: reopened, merged, unrated, unreachable,
returned; per-department figures over a ticket's real life; the composite score and its weights."""
from __future__ import annotations

import pytest

from services.dashboard.periods import parse_period
from services.dashboard.queries import ranking, summary
from services.dashboard.access import Visibility
from services.dashboard.rates import Rates, composite, compute_department_rates, compute_rates
from tests.unit.dashboard_events import Life, apply, new_session

NOVEMBER = parse_period("month", "2026-11-15")
ALL = Visibility(everything=True)


@pytest.fixture
def session():
    with new_session() as s:
        yield s


def figures(session, scope: str = "all"):
    return summary(session, scope, NOVEMBER)


def test_rates_are_none_without_a_denominator():
    rates = compute_rates({})
    assert rates.response_rate is None and rates.closure_rate is None and rates.satisfaction_rate is None
    assert rates.score is None and compute_department_rates({}).response_rate is None


def test_a_plain_life_counts_once_in_every_rate(session):
    t = Life("T1")
    apply(session, t.filed("2026-11-02 09:00"), t.dispatched("2026-11-02 10:00"), t.accepted("2026-11-02 11:00"),
          t.resolved("2026-11-03 09:00"), t.rated("2026-11-03 12:00"), t.closed("2026-11-03 12:00"))
    s = figures(session)
    assert s.filed == 1
    r = s.rates
    assert (r.response_rate, r.closure_rate, r.resolution_rate, r.satisfaction_rate) == (1.0, 1.0, 1.0, 1.0)
    assert (r.on_time_rate, r.overdue_rate, r.return_rate, r.reopen_rate) == (1.0, 0.0, 0.0, 0.0)
    assert r.avg_handling_hours == 24.0 and r.score == 100.0
    assert (r.unrated, r.unreachable, r.awaiting_rating) == (0, 0, 0)


def test_a_reopened_ticket_counts_its_latest_rating_once_and_as_reopened(session):
    t = Life("T2")
    apply(session, t.filed("2026-11-02 09:00"), t.dispatched("2026-11-02 10:00"), t.accepted("2026-11-02 11:00"),
          t.resolved("2026-11-03 09:00"), t.rated("2026-11-03 12:00", "unsatisfied", solved=False), t.reopened("2026-11-03 12:00"),
          t.dispatched("2026-11-04 09:00"), t.accepted("2026-11-04 10:00"), t.resolved("2026-11-05 09:00"),
          t.rated("2026-11-05 10:00", "basically_satisfied", solved=True), t.closed("2026-11-05 10:00"))
    s = figures(session)
    assert (s.filed, s.rated, s.counts["reopened"], s.counts["reopens"], s.counts["dispatches"]) == (1, 1, 1, 1, 2)
    assert (s.rates.satisfaction_rate, s.rates.resolution_rate, s.rates.reopen_rate) == (1.0, 1.0, 1.0)
    dept = figures(session, "department:urban")  # two dispatches: the first's work was rated unsatisfied and reopened
    assert (dept.filed, dept.counts["accepted"], dept.counts["resolved"], dept.rated, dept.counts["reopened"]) == (2, 2, 2, 2, 1)
    assert (dept.rates.satisfaction_rate, dept.rates.reopen_rate) == (0.5, 0.5)


def test_unrated_and_unreachable_are_shown_apart_and_never_satisfied(session):
    lives = [Life(f"U{i}") for i in range(3)]
    for t in lives:
        apply(session, t.filed("2026-11-02 09:00"), t.settled("2026-11-02 10:00"))
    apply(session, lives[0].rated("2026-11-03 09:00", "satisfied"), lives[0].closed("2026-11-03 09:00"))
    apply(session, lives[1].closed("2026-11-09 09:00", "rating_window_expired"))
    apply(session, lives[2].callback("2026-11-09 09:00"), lives[2].closed("2026-11-12 09:00", "callback_unreachable"))
    s = figures(session)
    assert (s.rated, s.rates.satisfaction_rate) == (1, 1.0)
    assert (s.rates.unrated, s.rates.unreachable, s.unreachable, s.rates.awaiting_rating) == (1, 1, 1, 0)
    assert s.counts.get("satisfied") == 1 and s.rates.closure_rate == 1.0


def test_a_merged_duplicate_leaves_the_denominators(session):
    a, b = Life("M1"), Life("M2")
    apply(session, a.filed("2026-11-02 09:00"), b.filed("2026-11-02 09:05"), b.merged("2026-11-02 10:00", "M1"),
          b.closed("2026-11-02 10:00", "merged"), a.settled("2026-11-02 11:00"))
    s = figures(session)
    assert (s.filed, s.counts["merged"], s.rates.response_rate, s.rates.closure_rate) == (2, 1, 1.0, 1.0)


def test_a_return_counts_against_the_department_that_returned_it(session):
    t = Life("R1")
    apply(session, t.filed("2026-11-02 09:00"), t.dispatched("2026-11-02 10:00", "water"), t.returned("2026-11-02 11:00", "water"),
          t.dispatched("2026-11-02 12:00", "urban"), t.accepted("2026-11-02 13:00", "urban"), t.resolved("2026-11-02 15:00", "urban"))
    water, urban, area = figures(session, "department:water"), figures(session, "department:urban"), figures(session)
    assert (water.filed, water.returned, water.rates.return_rate, water.rates.response_rate) == (1, 1, 1.0, 0.0)
    assert (urban.filed, urban.returned, urban.rates.closure_rate, urban.rates.avg_handling_hours) == (1, 0, 1.0, 3.0)
    assert (area.returned, area.counts["dispatches"], area.rates.return_rate) == (1, 2, 0.5)


def test_a_department_counts_what_it_received_accepted_on_time_resolved_and_how_it_was_rated(session):
    """The department ranking bug: a department row must show what it received and did, not 受理 0 and "—"."""
    t, late = Life("D1"), Life("D2")
    apply(session, t.filed("2026-11-02 09:00"), t.dispatched("2026-11-02 10:00"),
          t.deadline("2026-11-02 10:00", "accept", "2026-11-02 14:00"), t.deadline("2026-11-02 10:00", "resolve", "2026-11-06 18:00"),
          t.accepted("2026-11-02 11:00"), t.resolved("2026-11-05 10:00"), t.rated("2026-11-05 12:00", "satisfied"), t.closed("2026-11-05 12:00"))
    apply(session, late.filed("2026-11-02 09:00"), late.dispatched("2026-11-02 10:00"),
          late.deadline("2026-11-02 10:00", "accept", "2026-11-02 14:00"), late.escalated("2026-11-02 14:00", "accept"),
          late.accepted("2026-11-02 16:00"))
    dept = figures(session, "department:urban")
    assert (dept.filed, dept.counts["accepted"], dept.counts["accepted_on_time"], dept.counts["resolved"]) == (2, 2, 1, 1)
    r = dept.rates
    assert (r.response_rate, r.accept_on_time_rate, r.closure_rate, r.overdue_rate, r.satisfaction_rate) == (1.0, 0.5, 0.5, 0.5, 1.0)
    rows = ranking(session, "department", NOVEMBER, ALL)
    assert [(row.scope, row.filed, row.rates.response_rate) for row in rows] == [("department:urban", 2, 1.0)]
    assert dept.by_status == {"closed": 1, "accepted": 1}


def test_the_composite_score_follows_the_weights():
    rates = Rates(response_rate=1.0, resolution_rate=0.5, satisfaction_rate=0.8)
    assert composite(rates) == round((30 * 1.0 + 35 * 0.5 + 35 * 0.8), 1)
    assert composite(rates, {"response": 100, "resolution": 0, "satisfaction": 0}) == 100.0
    assert composite(Rates(response_rate=1.0, resolution_rate=None, satisfaction_rate=1.0)) is None
