"""Intake listens to the ticket's later events so residents can follow its progress."""
from sqlmodel import Session

from libs.events import TicketAssignedToCommunity, TicketResolved, TicketSettledOnSpot
from libs.messaging import Handlers
from services.intake.channels.sms import invite_rating
from services.intake.commands import apply_ticket_event, on_assigned_to_community
from services.intake.domain import TIMELINE_NOTES


def on_resolved(session: Session, event: TicketResolved | TicketSettledOnSpot) -> None:
    """办结 / 即办: the resident's view follows, and a sender who filed by SMS is asked for a rating by SMS."""
    apply_ticket_event(session, event)
    invite_rating(session, event)


HANDLERS: Handlers = {
    **{event_class: apply_ticket_event for event_class in TIMELINE_NOTES},
    TicketAssignedToCommunity: on_assigned_to_community,
    TicketResolved: on_resolved,
    TicketSettledOnSpot: on_resolved,
}
