"""Dispatch fills the community's queue from TicketFiled and follows the ticket afterwards through the one fold."""
from __future__ import annotations

from sqlmodel import Session

from libs.directory import get_directory
from libs.events import (
    DeadlineWarned,
    StageDeadlineSet,
    CallbackRequested,
    SummonsCheckedIn,
    SummonsTaskCompleted,
    Event,
    ExtensionRequested,
    ResidentContacted,
    TicketAccepted,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketReopened,
    TicketResolved,
    TicketReturned,
)
from libs.messaging import Handlers
from libs.ticket.table import follow_event
from libs.ticket.view import fold
from services.dispatch import domain
from services.dispatch.commands import now
from services.dispatch.domain import ExtensionDecision
from services.dispatch.duplicates import link_duplicates
from services.dispatch.models import DispatchExtension, DispatchReturn, DispatchTicket


def on_ticket_filed(session: Session, event: TicketFiled) -> None:
    """A new ticket joins its community's queue; a 微心愿 (kind wish) is the wishes service's, never dispatched."""
    if event.kind == "wish" or session.get(DispatchTicket, event.ticket_id) is not None:
        return
    ticket = DispatchTicket(
        **event.model_dump(include={*TicketDispatched.TICKET_FIELDS, "channel", "suggested_category", "suggestion_reason"}),
        id=event.ticket_id,
        proposed_department_id=domain.propose_department(get_directory(), event.category),
        filed_at=event.occurred_at,
        updated_at=now(),
    )
    ticket.store(fold(None, event))
    session.add(ticket)
    session.flush()
    link_duplicates(session, ticket)  # 疑似重复: open tickets of the same category nearby


def on_ticket_event(session: Session, event: Event) -> DispatchTicket | None:
    """Department, feedback and deadline events move the community's view (accepted, resolved, escalated...)."""
    ticket = session.get(DispatchTicket, event.ticket_id, with_for_update=True)
    return None if ticket is None else follow_event(session, ticket, event, service="dispatch")


def on_ticket_returned(session: Session, event: TicketReturned) -> None:
    """退单: the ticket is back in the queue; each return is kept so returns by one department can be counted."""
    ticket = on_ticket_event(session, event)
    if ticket is None:
        return
    ticket.last_return_reason = event.reason
    session.add(
        DispatchReturn(ticket_id=ticket.id, department_id=event.department_id, reason=event.reason, returned_at=event.occurred_at)
    )


def on_extension_requested(session: Session, event: ExtensionRequested) -> None:
    """A department's 延期申请 joins the supervisors' queue."""
    if session.get(DispatchExtension, str(event.event_id)) is not None:
        return
    ticket = session.get(DispatchTicket, event.ticket_id, with_for_update=True)
    session.add(
        DispatchExtension(
            request_event_id=str(event.event_id),
            ticket_id=event.ticket_id,
            community_id=ticket.community_id if ticket else None,
            department_id=event.department_id,
            amount=event.amount,
            unit=event.unit,
            reason=event.reason,
            status=ExtensionDecision.pending.value,
            requested_at=event.occurred_at,
        )
    )


HANDLERS: Handlers = {
    TicketFiled: on_ticket_filed,
    ExtensionRequested: on_extension_requested,
    TicketReturned: on_ticket_returned,
    **{
        cls: on_ticket_event
        for cls in (
            TicketAccepted, ResidentContacted, TicketResolved, TicketReopened, TicketClosed, TicketEscalated, DeadlineWarned,
            StageDeadlineSet, CallbackRequested, SummonsCheckedIn, SummonsTaskCompleted,  # 吹哨报到: who is on site, done
        )
    },
}
