"""The wish service turns wish filings into wishes, returns expired claims to the wall, credits points, and counts
its own events into the statistics the dashboard reads (WishStatistics)."""
from sqlmodel import Session

from libs.events import HazardVerified, TicketFiled, TicketRated
from libs.events.wishes import (
    ProjectAttendanceConfirmed,
    WishApproved,
    WishClaimed,
    WishClaimExpired,
    WishConfirmed,
    WishFulfilled,
    WishPosted,
)
from libs.messaging import Handlers
from services.wishes import stats
from services.wishes.commands import expire_claim, post_from_ticket
from services.wishes.hazards import on_hazard_verified, record_hazard
from services.wishes.points import on_attendance_confirmed, on_ticket_rated, on_wish_confirmed


def on_ticket_filed(session: Session, event: TicketFiled) -> None:
    post_from_ticket(session, event)  # kind "wish": a wish awaiting review, from every intake channel
    record_hazard(session, event)  # kind "hazard": who to credit when staff confirm it


def on_confirmed(session: Session, event: WishConfirmed) -> None:
    on_wish_confirmed(session, event)  # 圆梦: the claimant's points and hours, once per event
    stats.on_confirmed(session, event)


def on_attended(session: Session, event: ProjectAttendanceConfirmed) -> None:
    on_attendance_confirmed(session, event)  # 三张清单: a project's hours and points, once per signup
    stats.on_attended(session, event)


HANDLERS: Handlers = {
    TicketFiled: on_ticket_filed,
    WishClaimExpired: expire_claim,  # the claim's Temporal timer fired
    WishConfirmed: on_confirmed,
    TicketRated: on_ticket_rated,  # 评价: the rater's points
    ProjectAttendanceConfirmed: on_attended,
    HazardVerified: on_hazard_verified,  # 隐患随手拍 confirmed by staff: the reporter's points, once per ticket
    WishPosted: stats.on_posted,  # statistics: each of the wishes service's own events counted once (inbox)
    WishApproved: stats.on_approved,
    WishClaimed: stats.on_claimed,
    WishFulfilled: stats.on_fulfilled,
}
