"""Department fills its worklist from ticket.dispatched and follows the ticket to its close."""
from libs.messaging import Handler
from services.department.commands import on_ticket_dispatched, on_ticket_progress

HANDLERS: dict[str, Handler] = {
    "TicketDispatched": on_ticket_dispatched,
    "TicketReopened": on_ticket_progress,
    "TicketClosed": on_ticket_progress,
    "TicketEscalated": on_ticket_progress,
}
