"""The department's rules for contacting the resident, asking for more time, and which 催办 still applies."""
from datetime import datetime, timezone

import pytest

from libs.statemachine import DomainError
from libs.ticket import TicketStatus as S
from services.department.domain import contact_resident, request_extension, warning_applies, warnings_after

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)


def test_the_resident_can_be_contacted_once_the_ticket_is_accepted():
    contact_resident(S.accepted, None)


def test_the_resident_cannot_be_contacted_before_the_ticket_is_accepted():
    with pytest.raises(DomainError, match="ticket is dispatched; the resident can be contacted only after") as exc:
        contact_resident(S.dispatched, None)
    assert exc.value.status_code == 409


def test_the_resident_is_contacted_only_once():
    with pytest.raises(DomainError, match="already contacted"):
        contact_resident(S.accepted, NOW)


def test_an_extension_can_be_requested_for_an_accepted_ticket():
    request_extension(S.accepted, None)
    request_extension(S.accepted, "refused")  # a refused request may be followed by a new one
    request_extension(S.accepted, "granted")


def test_an_extension_cannot_be_requested_before_accepting():
    with pytest.raises(DomainError, match="ticket is dispatched; an extension can be requested only for an accepted ticket"):
        request_extension(S.dispatched, None)


def test_only_one_extension_request_may_be_pending():
    with pytest.raises(DomainError, match="already pending"):
        request_extension(S.accepted, "pending")


def test_a_suspended_ticket_needs_no_extension():
    with pytest.raises(DomainError, match="suspended"):
        request_extension(S.accepted, None, suspended=True)


def test_an_acceptance_warning_counts_only_while_waiting_to_be_accepted():
    assert warning_applies("accept", S.dispatched, None)
    assert not warning_applies("accept", S.accepted, None)


def test_a_contact_warning_is_dropped_once_the_resident_was_contacted():
    assert warning_applies("contact", S.accepted, None)
    assert not warning_applies("contact", S.accepted, NOW)


def test_the_communitys_dispatch_warning_is_not_the_departments():
    assert not warning_applies("dispatch", S.dispatched, None)


def test_accepting_clears_the_acceptance_warning_but_keeps_the_resolution_one():
    assert warnings_after({"accept": "a", "resolve": "r"}, "TicketAccepted") == {"resolve": "r"}


def test_a_granted_extension_clears_the_resolution_warning():
    assert warnings_after({"contact": "c", "resolve": "r"}, "ExtensionGranted") == {"contact": "c"}


def test_an_event_that_ends_no_stage_keeps_every_warning():
    before = {"accept": "a"}
    after = warnings_after(before, "TicketEscalated")
    assert after == before and after is not before
