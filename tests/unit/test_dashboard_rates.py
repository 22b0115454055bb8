"""The three rates and the counters they come from."""
from datetime import datetime, timezone

from libs.events import Actor, TicketAccepted, TicketEscalated, TicketRated, TicketSettledOnSpot
from libs.ticket import TicketStatus as S
from libs.ticket.view import TicketView, apply_event
from services.dashboard.domain import TicketFacts, metric_deltas, scopes, status_moves
from services.dashboard.rates import compute_rates


def facts(**overrides):
    base = dict(community_id="xinran", category="road", department_id=None, responded=False, handled=False)
    return TicketFacts(**{**base, **overrides})


A = Actor(role="system", id="test")
DUE = datetime(2026, 12, 1, tzinfo=timezone.utc)


def deltas(f, before, event):
    return metric_deltas(f, before, apply_event(before, event, service="unit"), event)


def test_rates_are_none_without_a_denominator():
    rates = compute_rates({})
    assert rates.response_rate is None and rates.closure_rate is None and rates.satisfaction_rate is None


def test_rates_divide_the_right_counters():
    rates = compute_rates({"filed": 4, "responded": 3, "handled": 2, "rated": 2, "satisfied": 1})
    assert (rates.response_rate, rates.closure_rate, rates.satisfaction_rate) == (0.75, 0.5, 0.5)


def test_acceptance_counts_as_a_response_only_once():
    f = facts(department_id="urban")
    accepted = TicketAccepted(ticket_id="T", actor=A, department_id="urban")
    assert deltas(f, TicketView(status=S.dispatched), accepted) == {"responded": 1}
    assert deltas(f, TicketView(status=S.dispatched), accepted) == {}


def test_settling_on_the_spot_is_both_response_and_closure():
    settled = TicketSettledOnSpot(ticket_id="T", actor=A, community_id="xinran", note="ok")
    assert deltas(facts(), TicketView(), settled) == {"responded": 1, "handled": 1}


def test_rating_counts_satisfaction():
    resolved = TicketView(status=S.resolved)
    happy = TicketRated(ticket_id="T", actor=A, satisfaction="basically_satisfied", solved=True)
    unhappy = TicketRated(ticket_id="T", actor=A, satisfaction="unsatisfied", solved=True)
    assert deltas(facts(), resolved, happy) == {"rated": 1, "satisfied": 1}
    assert deltas(facts(), resolved, unhappy) == {"rated": 1}


def test_an_escalation_is_counted_once_per_overdue_stage():
    f, v = facts(), TicketView()
    level1 = TicketEscalated(ticket_id="T", actor=A, stage="dispatch", level=1, deadline=DUE)
    assert deltas(f, v, level1) == {"escalated": 1}
    v = apply_event(v, level1, service="unit")
    assert deltas(f, v, level1.model_copy(update={"level": 2})) == {}


def test_department_scope_appears_once_dispatched():
    assert "department:urban" not in scopes(facts())
    assert "department:urban" in scopes(facts(department_id="urban"))


def test_reassignment_moves_the_status_count_between_departments():
    before = scopes(facts(department_id="urban"))
    after = scopes(facts(department_id="housing"))
    moves = status_moves("dispatched", before, "dispatched", after)
    assert ("department:urban", "status:dispatched", -1) in moves
    assert ("department:housing", "status:dispatched", 1) in moves


def test_no_status_move_when_nothing_changed():
    same = scopes(facts(department_id="urban"))
    assert status_moves("accepted", same, "accepted", same) == []
