"""The resident's timeline: which events show, and the line each reads."""
import uuid
from libs.events import (
    Actor,
    ExtensionGranted,
    ExtensionRequested,
    ResidentContacted,
    TicketMerged,
    TicketResumed,
    TicketSuspended,
)
from services.intake.domain import TIMELINE_NOTES, timeline_note

A = Actor(role="system", id="test")
T = "T1"


def test_handling_events_show_on_the_timeline_with_a_line_of_their_own():
    for event in [
        ResidentContacted(ticket_id=T, actor=A, department_id="urban"),
        ExtensionGranted(ticket_id=T, actor=A, request_event_id=uuid.uuid4(), amount=1),
        TicketSuspended(ticket_id=T, actor=A, reason="等待法院判决"),
        TicketResumed(ticket_id=T, actor=A),
    ]:
        assert type(event) in TIMELINE_NOTES
        assert timeline_note(event)


def test_the_merged_line_names_the_ticket_to_follow():
    assert "T2" in timeline_note(TicketMerged(ticket_id=T, actor=A, community_id="xinran", merged_into="T2"))


def test_an_events_own_note_wins_over_the_default_line():
    assert timeline_note(TicketSuspended(ticket_id=T, actor=A, reason="等待法院判决")) == "等待法院判决"
    assert timeline_note(TicketResumed(ticket_id=T, actor=A, note="判决已出")) == "判决已出"
    assert timeline_note(TicketResumed(ticket_id=T, actor=A)) == "恢复办理"


def test_an_extension_request_is_not_shown_to_the_resident_until_granted():
    assert ExtensionRequested not in TIMELINE_NOTES
