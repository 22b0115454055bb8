"""The department's rules for contacting the resident, asking for more time."""
from datetime import datetime, timezone

import pytest

from libs.statemachine import DomainError
from libs.ticket import TicketStatus as S
from services.department.domain import contact_resident, request_extension

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
