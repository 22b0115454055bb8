"""Intake listens to the ticket's later events so residents can follow its progress."""
from libs.messaging import Handlers
from services.intake.commands import apply_ticket_event
from services.intake.domain import TIMELINE_NOTES

HANDLERS: Handlers = {event_class: apply_ticket_event for event_class in TIMELINE_NOTES}
