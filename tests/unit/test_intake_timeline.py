"""The resident's view of later events: merged, contacted, extended, suspended."""
import pytest

from libs.statemachine import IllegalTransition
from libs.ticket import TicketStatus as S
from services.intake.domain import TIMELINE_EVENTS, next_status, timeline_note


def test_a_new_ticket_merged_into_another_shows_merged():
    assert next_status(S.filed, "TicketMerged") == S.merged


def test_a_merged_ticket_stays_merged_when_its_life_ends():
    assert next_status(S.merged, "TicketClosed") is None


def test_a_dispatched_ticket_cannot_be_merged():
    with pytest.raises(IllegalTransition):
        next_status(S.dispatched, "TicketMerged")


@pytest.mark.parametrize("event_type", ["ResidentContacted", "ExtensionGranted", "TicketSuspended", "TicketResumed"])
def test_handling_events_show_on_the_timeline_without_changing_the_status(event_type):
    assert event_type in TIMELINE_EVENTS
    assert next_status(S.accepted, event_type) is None
    assert timeline_note(event_type, note=None)


def test_the_merged_line_names_the_ticket_to_follow():
    assert "T2" in timeline_note("TicketMerged", note=None, merged_into="T2")


def test_an_events_own_note_wins_over_the_default_line():
    assert timeline_note("TicketSuspended", note="等待法院判决") == "等待法院判决"


def test_an_extension_request_is_not_shown_to_the_resident_until_granted():
    assert "ExtensionRequested" not in TIMELINE_EVENTS
