"""Intake listens to the ticket's later events so residents can follow its progress."""
from libs.messaging import Handler
from services.intake.commands import apply_ticket_event

HANDLERS: dict[str, Handler] = {
    event_type: apply_ticket_event
    for event_type in (
        "TicketDispatched",
        "TicketSettledOnSpot",
        "TicketAccepted",
        "TicketReturned",
        "TicketResolved",
        "TicketRated",
        "TicketReopened",
        "TicketClosed",
        "TicketEscalated",
    )
}
