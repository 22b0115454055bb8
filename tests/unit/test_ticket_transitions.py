"""Each domain's legal moves; an illegal one is a domain error carrying a message (HTTP 409 at the edge)."""
import pytest

from libs.directory import get_directory
from libs.statemachine import DomainError, IllegalTransition
from libs.ticket import TicketStatus as S
from services.department import domain as department
from services.dispatch import domain as dispatch
from services.feedback.domain import FeedbackStatus as F
from services.feedback.domain import rating_outcome
from services.intake.domain import next_status


def test_community_can_dispatch_a_new_ticket():
    assert dispatch.dispatch(S.filed, get_directory(), "urban") == S.dispatched


def test_community_can_reassign_a_returned_ticket():
    assert dispatch.dispatch(S.returned, get_directory(), "housing") == S.dispatched


def test_dispatch_to_an_unknown_department_names_the_field():
    with pytest.raises(DomainError, match="department_id: unknown department 'nope'") as exc:
        dispatch.dispatch(S.filed, get_directory(), "nope")
    assert exc.value.status_code == 422


def test_closed_ticket_cannot_be_dispatched():
    with pytest.raises(IllegalTransition, match="ticket is closed; it cannot become dispatched") as exc:
        dispatch.dispatch(S.closed, get_directory(), "urban")
    assert exc.value.status_code == 409


def test_settle_on_spot_only_while_the_community_holds_the_ticket():
    assert dispatch.settle_on_spot(S.filed) == S.settled_on_spot
    assert dispatch.settle_on_spot(S.reopened) == S.settled_on_spot
    with pytest.raises(DomainError, match="only a ticket waiting for the community"):
        dispatch.settle_on_spot(S.dispatched)


def test_department_signs_then_resolves():
    assert department.accept(S.dispatched) == S.accepted
    assert department.resolve(S.accepted) == S.resolved


def test_department_cannot_resolve_before_signing():
    with pytest.raises(IllegalTransition, match="ticket is dispatched; it cannot become resolved"):
        department.resolve(S.dispatched)


def test_department_cannot_accept_twice():
    with pytest.raises(IllegalTransition, match="ticket is accepted; it cannot become accepted"):
        department.accept(S.accepted)


def test_department_can_return_before_or_after_signing_but_not_after_resolving():
    assert department.return_to_community(S.dispatched) == S.returned
    assert department.return_to_community(S.accepted) == S.returned
    with pytest.raises(IllegalTransition):
        department.return_to_community(S.resolved)


def test_satisfied_rating_closes_the_ticket():
    assert rating_outcome(F.awaiting_rating, satisfaction="satisfied", solved=True, reopen_count=0) == F.closed


def test_unsatisfied_and_unsolved_reopens_once():
    assert rating_outcome(F.awaiting_rating, satisfaction="unsatisfied", solved=False, reopen_count=0) == F.reopened


def test_second_unsatisfied_rating_reopens_again_for_joint_handling_and_the_third_closes():
    assert rating_outcome(F.awaiting_rating, satisfaction="unsatisfied", solved=False, reopen_count=1) == F.reopened
    assert rating_outcome(F.awaiting_rating, satisfaction="unsatisfied", solved=False, reopen_count=2) == F.closed


def test_unsatisfied_but_solved_closes():
    assert rating_outcome(F.awaiting_rating, satisfaction="unsatisfied", solved=True, reopen_count=0) == F.closed


def test_ticket_not_yet_resolved_cannot_be_rated():
    with pytest.raises(DomainError, match="ticket is open; only a resolved ticket awaiting rating can be rated"):
        rating_outcome(F.open, satisfaction="satisfied", solved=True, reopen_count=0)


def test_closed_ticket_cannot_be_rated_again():
    with pytest.raises(DomainError, match="ticket is closed"):
        rating_outcome(F.closed, satisfaction="satisfied", solved=True, reopen_count=0)


def test_residents_view_follows_the_whole_life():
    status = S.filed
    for event_type, expected in [
        ("TicketDispatched", S.dispatched),
        ("TicketAccepted", S.accepted),
        ("TicketResolved", S.resolved),
        ("TicketClosed", S.closed),
    ]:
        status = next_status(status, event_type)
        assert status == expected


def test_residents_view_ignores_events_that_do_not_move_it():
    assert next_status(S.resolved, "TicketRated") is None
    assert next_status(S.accepted, "TicketEscalated") is None


def test_residents_view_refuses_an_out_of_order_move():
    with pytest.raises(IllegalTransition):
        next_status(S.filed, "TicketResolved")
