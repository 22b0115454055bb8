"""Feedback learns who filed a ticket, when it is ready to be rated, and when rating is no longer asked."""
from libs.events import CallbackRequested, TicketAssignedToCommunity, TicketClosed, TicketFiled, TicketMerged, TicketResolved, TicketSettledOnSpot
from libs.messaging import Handlers
from services.feedback.callback import on_callback_requested
from services.feedback.commands import (
    on_assigned_to_community,
    on_ticket_closed,
    on_ticket_filed,
    on_ticket_merged,
    on_ticket_resolved,
    on_ticket_settled,
)

HANDLERS: Handlers = {
    TicketFiled: on_ticket_filed,
    TicketResolved: on_ticket_resolved,
    TicketSettledOnSpot: on_ticket_settled,
    TicketClosed: on_ticket_closed,
    TicketMerged: on_ticket_merged,
    TicketAssignedToCommunity: on_assigned_to_community,
    CallbackRequested: on_callback_requested,
}
