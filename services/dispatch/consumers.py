"""Dispatch fills the community's queue from ticket.filed and follows the ticket afterwards."""
from libs.messaging import Handler
from services.dispatch.commands import on_deadline_warned, on_extension_requested, on_ticket_filed, on_ticket_progress

HANDLERS: dict[str, Handler] = {
    "TicketFiled": on_ticket_filed,
    "DeadlineWarned": on_deadline_warned,
    "ExtensionRequested": on_extension_requested,
    **{
        t: on_ticket_progress
        for t in (
            "TicketAccepted",
            "ResidentContacted",
            "TicketReturned",
            "TicketResolved",
            "TicketReopened",
            "TicketClosed",
            "TicketEscalated",
        )
    },
}
