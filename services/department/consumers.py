"""Department fills its worklist from ticket.dispatched and follows the ticket to its close."""
from libs.messaging import Handler
from services.department.commands import (
    on_deadline_warned,
    on_extension_decided,
    on_ticket_dispatched,
    on_ticket_merged,
    on_ticket_progress,
    on_ticket_suspended,
)

HANDLERS: dict[str, Handler] = {
    "TicketDispatched": on_ticket_dispatched,
    "TicketReopened": on_ticket_progress,
    "TicketClosed": on_ticket_progress,
    "TicketEscalated": on_ticket_progress,
    "DeadlineWarned": on_deadline_warned,
    "ExtensionGranted": on_extension_decided,
    "ExtensionRefused": on_extension_decided,
    "TicketMerged": on_ticket_merged,
    "TicketSuspended": on_ticket_suspended,
    "TicketResumed": on_ticket_suspended,
}
