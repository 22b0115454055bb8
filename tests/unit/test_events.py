"""Event models: one serializer, frozen, versioned; bad bytes are a decode error (dead-letter), not a crash."""
import json
import uuid

import pytest
from pydantic import ValidationError

from libs.events import (
    Actor,
    EventDecodeError,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    decode_event,
    deterministic_event_id,
    encode_event,
)

ACTOR = Actor(role="resident", id="r-1")


def filed(**overrides):
    fields = dict(ticket_id="T1", actor=ACTOR, title="路灯不亮", description="3号楼前路灯坏了", category="road", community_id="xinran")
    return TicketFiled(**{**fields, **overrides})


def test_event_round_trips_through_the_serializer():
    event = filed()
    assert decode_event(encode_event(event)) == event


def test_events_are_frozen():
    with pytest.raises(ValidationError):
        filed().title = "changed"  # type: ignore[misc]


def test_key_is_the_ticket_id_so_one_ticket_stays_on_one_partition():
    assert filed(ticket_id="T42").key == "T42"


def test_deterministic_ids_repeat_for_the_same_parts_and_differ_otherwise():
    a = deterministic_event_id("T1", "escalated", "dispatch", "1")
    assert a == deterministic_event_id("T1", "escalated", "dispatch", "1")
    assert a != deterministic_event_id("T1", "escalated", "dispatch", "2")
    assert isinstance(a, uuid.UUID)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (json.dumps({"type": "TicketExploded"}).encode(), "unknown event type 'TicketExploded'"),
        (json.dumps({"type": "TicketFiled", "version": 99}).encode(), "unsupported TicketFiled version 99"),
        (json.dumps({"type": "TicketFiled", "ticket_id": "T1"}).encode(), "invalid TicketFiled"),
    ],
)
def test_bad_bytes_are_a_decode_error_naming_the_problem(raw, message):
    with pytest.raises(EventDecodeError, match=message):
        decode_event(raw)


def test_escalation_level_is_between_one_and_three():
    with pytest.raises(ValidationError):
        TicketEscalated(ticket_id="T1", actor=Actor(role="system", id="workflows"), stage="dispatch", level=4, deadline="2026-11-26T00:00:00Z")


def test_dispatched_event_carries_what_the_department_needs():
    event = TicketDispatched(
        ticket_id="T1", actor=Actor(role="community_staff", id="s1"), community_id="xinran", department_id="urban",
        title="路灯不亮", description="3号楼前", category="road",
    )
    assert decode_event(encode_event(event)).title == "路灯不亮"
