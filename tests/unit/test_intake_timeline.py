"""The ticket's story and the resident's timeline: which events show, to whom, and the line each reads."""
import uuid
from datetime import datetime, timezone

from libs.events import (
    Actor,
    DeadlineWarned,
    ExtensionGranted,
    ExtensionRequested,
    ResidentContacted,
    StageDeadlineSet,
    TicketDispatched,
    TicketEscalated,
    TicketMerged,
    TicketNoteAdded,
    TicketRated,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSuspended,
)
from services.intake.domain import TIMELINE_NOTES, timeline_note
from services.intake.story import resident_entries, timeline_row, visibility

A = Actor(role="system", id="test")
URBAN = Actor(role="department_staff", id="u1")
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


def test_an_extension_request_is_on_the_staffs_story_only_and_a_grant_shows_the_resident_no_supervisors_words():
    request = ExtensionRequested(ticket_id=T, actor=A, department_id="urban", amount=2, reason="等材料")
    grant = ExtensionGranted(ticket_id=T, actor=A, request_event_id=uuid.uuid4(), amount=2, note="同意延期，请务必在期限内办结")
    assert visibility(request) == "staff" and timeline_note(request) == "等材料"
    assert visibility(grant) == "internal" and timeline_note(grant) == "同意延期，请务必在期限内办结"
    rows = [timeline_row(request, timeline_note(request)), timeline_row(grant, timeline_note(grant))]
    assert [(e.event_type, e.note) for e in resident_entries(rows)] == [("ExtensionGranted", None)]


def test_return_reasons_and_dispatch_notes_are_internal_and_the_resident_reads_their_headline_with_the_department():
    returned = TicketReturned(ticket_id=T, actor=URBAN, department_id="urban", community_id="xinran", reason="不归我们管")
    dispatched = TicketDispatched(
        ticket_id=T, actor=A, community_id="xinran", department_id="housing", note="请三日内办", title="灯", description="灯坏了",
        category="road",
    )
    rows = [timeline_row(e, timeline_note(e)) for e in (returned, dispatched)]
    assert [r.visibility for r in rows] == ["internal", "internal"]
    assert [(e.note, e.department_id) for e in resident_entries(rows)] == [(None, "urban"), (None, "housing")]
    assert (rows[0].actor_role, rows[0].actor_id, rows[0].note) == ("department_staff", "u1", "不归我们管")


def test_a_note_is_public_or_on_the_staffs_story_only():
    public = TicketNoteAdded(ticket_id=T, actor=URBAN, text="明早到场", visibility="public")
    internal = TicketNoteAdded(ticket_id=T, actor=URBAN, text="物业电话 5555", visibility="internal")
    assert (visibility(public), visibility(internal)) == ("public", "staff")
    rows = [timeline_row(e, e.text) for e in (public, internal)]
    assert [e.note for e in resident_entries(rows)] == ["明早到场"]


def test_the_story_keeps_what_each_event_carried():
    due = datetime(2026, 11, 30, 9, tzinfo=timezone.utc)
    cases = [
        (TicketEscalated(ticket_id=T, actor=A, stage="resolve", level=2, deadline=due), {"stage": "resolve", "deadline": due.isoformat(), "level": 2}),
        (DeadlineWarned(ticket_id=T, actor=A, stage="accept", deadline=due), {"stage": "accept", "deadline": due.isoformat()}),
        (StageDeadlineSet(ticket_id=T, actor=A, stage="resolve", deadline=due), {"stage": "resolve", "deadline": due.isoformat(), "warn_at": None}),
        (TicketResolved(ticket_id=T, actor=URBAN, department_id="urban", note="修好了", evidence=("/attachments/a.jpg",)), {"photos": ["/attachments/a.jpg"]}),
        (TicketRated(ticket_id=T, actor=A, satisfaction="unsatisfied", solved=False, comment="没修好"), {"satisfaction": "unsatisfied", "solved": False}),
    ]
    for event, details in cases:
        assert timeline_row(event, None).details == details, event.type
    assert all(visibility(e) == "staff" for e, _ in cases[1:3])  # 催办 and deadlines: staff only
    assert visibility(cases[0][0]) == "public"  # 督办 stays a line the resident reads (without a note)
