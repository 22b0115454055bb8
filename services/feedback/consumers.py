"""Feedback learns who filed a ticket, when it is ready to be rated, and when rating is no longer asked."""
from libs.messaging import Handler
from services.feedback.commands import on_ticket_closed, on_ticket_filed, on_ticket_handled

HANDLERS: dict[str, Handler] = {
    "TicketFiled": on_ticket_filed,
    "TicketResolved": on_ticket_handled,
    "TicketSettledOnSpot": on_ticket_handled,
    "TicketClosed": on_ticket_closed,
    "TicketMerged": on_ticket_closed,
}
