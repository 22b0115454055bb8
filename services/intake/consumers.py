"""Intake listens to the ticket's later events so residents can follow its progress."""
from libs.messaging import Handler
from services.intake.commands import apply_ticket_event
from services.intake.domain import TIMELINE_EVENTS

HANDLERS: dict[str, Handler] = {event_type: apply_ticket_event for event_type in TIMELINE_EVENTS}
