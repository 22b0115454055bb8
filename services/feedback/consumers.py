"""Feedback learns who filed a ticket and when it is ready to be rated."""
from libs.messaging import Handler
from services.feedback.commands import on_ticket_filed, on_ticket_handled

HANDLERS: dict[str, Handler] = {
    "TicketFiled": on_ticket_filed,
    "TicketResolved": on_ticket_handled,
    "TicketSettledOnSpot": on_ticket_handled,
}
