"""The three rates and the counters they come from."""
from services.dashboard.domain import TicketFacts, metric_deltas, scopes, status_moves
from services.dashboard.rates import compute_rates


def facts(**overrides):
    base = dict(community_id="xinran", category="road", department_id=None, status="filed", responded=False, handled=False, escalation_level=0)
    return TicketFacts(**{**base, **overrides})


def test_rates_are_none_without_a_denominator():
    rates = compute_rates({})
    assert rates.response_rate is None and rates.closure_rate is None and rates.satisfaction_rate is None


def test_rates_divide_the_right_counters():
    rates = compute_rates({"filed": 4, "responded": 3, "handled": 2, "rated": 2, "satisfied": 1})
    assert (rates.response_rate, rates.closure_rate, rates.satisfaction_rate) == (0.75, 0.5, 0.5)


def test_acceptance_counts_as_a_response_only_once():
    f = facts(status="dispatched", department_id="urban")
    assert metric_deltas(f, "TicketAccepted") == {"responded": 1}
    f.status = "dispatched"
    assert metric_deltas(f, "TicketAccepted") == {}


def test_settling_on_the_spot_is_both_response_and_closure():
    assert metric_deltas(facts(), "TicketSettledOnSpot") == {"responded": 1, "handled": 1}


def test_rating_counts_satisfaction():
    assert metric_deltas(facts(status="resolved"), "TicketRated", satisfied=True) == {"rated": 1, "satisfied": 1}
    assert metric_deltas(facts(status="resolved"), "TicketRated", satisfied=False) == {"rated": 1}


def test_an_escalation_is_counted_once_per_overdue_stage():
    f = facts()
    assert metric_deltas(f, "TicketEscalated", level=1) == {"escalated": 1}
    assert metric_deltas(f, "TicketEscalated", level=2) == {}
    assert f.escalation_level == 2
    metric_deltas(f, "TicketDispatched")
    assert f.escalation_level == 0


def test_department_scope_appears_once_dispatched():
    assert "department:urban" not in scopes(facts())
    assert "department:urban" in scopes(facts(department_id="urban"))


def test_reassignment_moves_the_status_count_between_departments():
    f = facts(status="dispatched", department_id="urban")
    before = scopes(f)
    f.department_id = "housing"
    moves = status_moves("dispatched", before, f)
    assert ("department:urban", "status:dispatched", -1) in moves
    assert ("department:housing", "status:dispatched", 1) in moves


def test_no_status_move_when_nothing_changed():
    f = facts(status="accepted", department_id="urban")
    assert status_moves("accepted", scopes(f), f) == []
