"""The wish service turns wish filings into wishes, returns expired claims to the wall, and credits points."""
from libs.events import TicketFiled, TicketRated
from libs.events.wishes import ProjectAttendanceConfirmed, WishClaimExpired, WishConfirmed
from libs.messaging import Handlers
from services.wishes.commands import expire_claim, post_from_ticket
from services.wishes.points import on_attendance_confirmed, on_ticket_rated, on_wish_confirmed

HANDLERS: Handlers = {
    TicketFiled: post_from_ticket,  # kind "wish" only, from every intake channel
    WishClaimExpired: expire_claim,  # the claim's Temporal timer fired
    WishConfirmed: on_wish_confirmed,  # 圆梦: the claimant's points and hours, once per event
    TicketRated: on_ticket_rated,  # 评价: the rater's points
    ProjectAttendanceConfirmed: on_attendance_confirmed,  # 三张清单: a project's hours and points, once per signup
}
