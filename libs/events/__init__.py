"""Versioned, frozen event models shared by every service; one serializer; topic names in one place."""
from libs.events.models import (
    EVENT_TYPES,
    Actor,
    DeadlineWarned,
    Event,
    TicketAccepted,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketReturned,
    TicketSettledOnSpot,
    deterministic_event_id,
)
from libs.events.serialization import EventDecodeError, decode_event, encode_event
from libs.events.topics import DEAD_LETTER, TICKETS, topic_name

__all__ = [
    "EVENT_TYPES",
    "Actor",
    "DEAD_LETTER",
    "DeadlineWarned",
    "Event",
    "EventDecodeError",
    "TICKETS",
    "TicketAccepted",
    "TicketClosed",
    "TicketDispatched",
    "TicketEscalated",
    "TicketFiled",
    "TicketRated",
    "TicketReopened",
    "TicketResolved",
    "TicketReturned",
    "TicketSettledOnSpot",
    "decode_event",
    "deterministic_event_id",
    "encode_event",
    "topic_name",
]
