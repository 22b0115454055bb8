"""Intake listens to the ticket's later events so residents can follow its progress."""
from sqlmodel import Session

from libs.events import StageDeadlineSet, TicketAssignedToCommunity, TicketResolved, TicketSettledOnSpot
from libs.events.wishes import WishFulfilled
from libs.ticket.table import follow_event
from libs.messaging import Handlers
from services.intake.attachments import link_fulfilment_photos
from services.intake.channels.sms import invite_rating
from services.intake.commands import apply_ticket_event, on_assigned_to_community
from services.intake.domain import TIMELINE_NOTES
from services.intake.models import IntakeTicket
from services.intake.story import timeline_row


def on_resolved(session: Session, event: TicketResolved | TicketSettledOnSpot) -> None:
    """办结 / 即办: the resident's view follows, and a sender who filed by SMS is asked for a rating by SMS."""
    apply_ticket_event(session, event)
    invite_rating(session, event)


def on_deadline_set(session: Session, event: StageDeadlineSet) -> None:
    """时限: the resident sees when their ticket is due; the deadline set or moved is a line of the staff's story only."""
    ticket = session.get(IntakeTicket, event.ticket_id, with_for_update=True)
    if ticket is not None:
        follow_event(session, ticket, event, service="intake")
        session.add(timeline_row(event, note=None))


HANDLERS: Handlers = {
    **{event_class: apply_ticket_event for event_class in TIMELINE_NOTES},
    TicketAssignedToCommunity: on_assigned_to_community,
    TicketResolved: on_resolved,
    TicketSettledOnSpot: on_resolved,
    StageDeadlineSet: on_deadline_set,
    WishFulfilled: link_fulfilment_photos,  # 圆梦 photos join the wish's ticket (topic wishes)
}
