"""The wish service turns wish filings into wishes, returns expired claims to the wall, and credits points."""
from libs.events import TicketFiled
from libs.events.wishes import WishClaimExpired
from libs.messaging import Handlers
from services.wishes.commands import expire_claim, post_from_ticket

HANDLERS: Handlers = {
    TicketFiled: post_from_ticket,  # kind "wish" only, from every intake channel
    WishClaimExpired: expire_claim,  # the claim's Temporal timer fired
}
