"""Notify hears every ticket event that tells someone something; StageDeadlineSet is not a message (the 时限 shows on
the lists), nor are rating, contact or extension events (the people concerned act on them themselves)."""
from __future__ import annotations

from sqlmodel import Session

from libs.events import (
    DeadlineWarned,
    Envelope,
    TicketAccepted,
    TicketAssignedToCommunity,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketReopened,
    TicketResolved,
    TicketReturned,
    TicketSettledOnSpot,
)
from libs.messaging import Handlers
from services.notify.channels import enabled_channels
from services.notify.commands.planning import plan_messages

TOLD = (
    TicketFiled, TicketAssignedToCommunity, TicketDispatched, TicketAccepted, TicketReturned, TicketResolved,
    TicketSettledOnSpot, TicketClosed, TicketReopened, DeadlineWarned, TicketEscalated,
)


def on_ticket_event(session: Session, event: Envelope) -> None:
    plan_messages(session, event, enabled=enabled_channels())


HANDLERS: Handlers = {event_type: on_ticket_event for event_type in TOLD}
