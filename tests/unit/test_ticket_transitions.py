"""Each domain's own rules beyond the lifecycle table (walked in test_ticket_fold.py); an illegal move is a 409."""
import pytest

from libs.directory import get_directory
from libs.statemachine import DomainError, IllegalTransition
from libs.ticket import TicketStatus as S
from services.dispatch import domain as dispatch
from services.feedback.domain import FeedbackStatus as F
from services.feedback.domain import rating_outcome


def test_dispatch_to_an_unknown_department_names_the_field():
    with pytest.raises(DomainError, match="department_id: unknown department 'nope'") as exc:
        dispatch.check_department(get_directory(), "nope")
    assert exc.value.status_code == 422


def test_dispatch_to_a_known_department_passes():
    dispatch.check_department(get_directory(), "urban")


def test_settle_on_spot_only_while_the_community_holds_the_ticket():
    assert dispatch.settle_on_spot(S.filed) == S.settled_on_spot
    assert dispatch.settle_on_spot(S.reopened) == S.settled_on_spot
    with pytest.raises(DomainError, match="only a ticket waiting for the community"):
        dispatch.settle_on_spot(S.dispatched)


def test_an_illegal_move_is_a_409():
    assert IllegalTransition("ticket", S.closed, S.dispatched).status_code == 409


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
