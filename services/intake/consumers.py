"""Intake listens to the ticket's later events so residents can follow its progress."""
from libs.events import TicketAssignedToCommunity
from libs.messaging import Handlers
from services.intake.commands import apply_ticket_event, on_assigned_to_community
from services.intake.domain import TIMELINE_NOTES

HANDLERS: Handlers = {
    **{event_class: apply_ticket_event for event_class in TIMELINE_NOTES},
    TicketAssignedToCommunity: on_assigned_to_community,
}
