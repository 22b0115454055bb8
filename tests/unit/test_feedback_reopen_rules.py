"""Feedback's rules for 重办 and 联席办, and closing when rating is no longer asked."""
import pytest

from libs.statemachine import DomainError
from services.feedback.domain import FeedbackStatus as F
from services.feedback.domain import closed_by_event, needs_joint_handling, rating_outcome


def test_first_failed_rating_reopens_for_the_same_department():
    assert rating_outcome(F.awaiting_rating, satisfaction="unsatisfied", solved=False, reopen_count=0) == F.reopened
    assert not needs_joint_handling(1)


def test_second_failed_rating_reopens_with_joint_handling():
    assert rating_outcome(F.awaiting_rating, satisfaction="unsatisfied", solved=False, reopen_count=1) == F.reopened
    assert needs_joint_handling(2)


def test_third_failed_rating_closes_the_ticket():
    assert rating_outcome(F.awaiting_rating, satisfaction="unsatisfied", solved=False, reopen_count=2) == F.closed


def test_basically_satisfied_after_a_reopen_closes():
    assert rating_outcome(F.awaiting_rating, satisfaction="basically_satisfied", solved=False, reopen_count=1) == F.closed


def test_an_expired_rating_window_closes_a_ticket_awaiting_rating():
    assert closed_by_event(F.awaiting_rating) == F.closed


def test_a_merged_ticket_closes_before_it_was_ever_resolved():
    assert closed_by_event(F.open) == F.closed


def test_a_reopened_ticket_can_be_closed_from_elsewhere():
    assert closed_by_event(F.reopened) == F.closed


def test_closing_an_already_closed_ticket_changes_nothing():
    assert closed_by_event(F.closed) is None


def test_a_closed_ticket_cannot_be_rated_after_its_window_expired():
    with pytest.raises(DomainError, match="ticket is closed"):
        rating_outcome(F.closed, satisfaction="satisfied", solved=True, reopen_count=0)
