"""查询进度 without an account: anyone holding a ticket's number and the last four digits of the phone it was filed
with sees a public view of its progress (no description, address, name or phone, no internal note).

- Timeline lines keep only the notes written to the resident (`PUBLIC_NOTES`).
- One answer for "no such ticket", "the digits do not match" and "this ticket keeps no phone" (anonymous): 404 with
  `NO_MATCH`, so the route is no oracle of which tickets exist.
- Wrong tries are throttled per ticket and per client address; a ticket over its limit answers 429 even to the right
  digits until the window passes (else the limit would only slow a guesser down, not stop one):
    INTAKE_FOLLOW_PER_TICKET  default 5/3600   (wrong tries per ticket number, unknown numbers too)
    INTAKE_FOLLOW_PER_IP      default 20/3600  (wrong tries per client address, any ticket)
  Every try is counted first and a right one is taken back, so concurrent guesses cannot slip past the limit.
  Windows are counted in intake's database (intake_rate_hit), shared by every replica, like the filing limits
  (abuse.py)."""
from __future__ import annotations

import hmac
import math
from datetime import datetime
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlmodel import Session

from libs.directory import get_directory
from libs.ticket.status import STATUS_LABELS_ZH, TicketStatus
from libs.statemachine import DomainError, NotFound
from libs.ratelimit import Db
from services.intake.abuse import IntakeRateHit, Limit, SlidingWindow
from services.intake.commands import timeline
from services.intake.models import IntakeTicket

NO_MATCH = "ticket_id: 未查到该工单，请核对工单编号和手机号后四位"
# Timeline lines whose note is written to the resident (an outcome, a merge, a pause...); every other line shows its
# headline only: a dispatch note is the community's word to the department, a return reason the department's to the
# community, a rating's comment or a reopen reason the reporter's own.
# A staff's 公开 note is written to the resident; a line of the staff's story only (story.visibility "staff") is not
# shown, nor an internal note (a supervisor's word on an extension).
PUBLIC_NOTES = frozenset({
    "TicketFiled", "TicketSettledOnSpot", "ResidentContacted", "TicketResolved", "TicketMerged",
    "TicketRecategorized", "TicketSuspended", "TicketResumed", "TicketAssignedToCommunity", "TicketNoteAdded",
})


class FollowThrottled(DomainError):
    """Too many wrong tries for this ticket or from this address (HTTP 429, Retry-After in seconds)."""

    status_code = 429

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}
        minutes = max(1, math.ceil(self.retry_after / 60))
        super().__init__(f"phone_last4: 查询错误次数过多，为保护您的信息，请约 {minutes} 分钟后再试")


class FollowSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_FOLLOW_", extra="ignore")

    per_ticket: str = "5/3600"
    per_ip: str = "20/3600"


class FollowGuard:
    """The wrong-try windows (counted in the database given): `admit` before a lookup, `forgive` after a right one."""

    def __init__(self, settings: FollowSettings | None = None) -> None:
        self.configure(settings or FollowSettings())

    def configure(self, settings: FollowSettings) -> None:
        self.per_ticket = SlidingWindow(IntakeRateHit, Limit.parse(settings.per_ticket), scope="follow-ticket")
        self.per_ip = SlidingWindow(IntakeRateHit, Limit.parse(settings.per_ip), scope="follow-ip")

    def admit(self, db: Db, ticket_id: str, address: str) -> None:
        """Count one try for the ticket and the address; FollowThrottled (nothing counted) when either is full."""
        wait = self.per_ticket.hit(db, ticket_id)
        if wait is not None:
            raise FollowThrottled(wait)
        wait = self.per_ip.hit(db, address)
        if wait is not None:
            self.per_ticket.refund(db, ticket_id)
            raise FollowThrottled(wait)

    def forgive(self, db: Db, ticket_id: str, address: str) -> None:
        """The try was right: it does not count against the ticket or the address."""
        self.per_ticket.refund(db, ticket_id)
        self.per_ip.refund(db, address)


@lru_cache
def get_follow_guard() -> FollowGuard:
    return FollowGuard()


class FollowRequest(BaseModel):
    """The last four digits of the phone the ticket was filed with; in the body so they never reach an access log."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"phone_last4": "5678"}]})
    phone_last4: str = Field(pattern=r"^[0-9]{4}$", description="手机号后四位")


class PublicTimelineEntry(BaseModel):
    event_type: str
    occurred_at: datetime
    note: str | None = None


class TicketFollowView(BaseModel):
    """What anyone with the number and the digits may see: never the description, address, name or phone."""

    id: str
    kind: str
    title: str
    category: str
    category_name: str
    status: str
    status_label: str
    community_id: str
    community_name: str
    department_name: str | None = Field(description="承办部门, once the community dispatched the ticket")
    created_at: datetime
    updated_at: datetime
    timeline: list[PublicTimelineEntry]


def _name(kind: str, entry_id: str | None) -> str | None:
    directory = get_directory()
    if kind == "community" and directory.is_triage(entry_id):
        return "街道分拨（待定社区）"
    found = getattr(directory, kind)(entry_id) if entry_id else None
    return found.name if found else entry_id


def public_view(session: Session, ticket: IntakeTicket) -> TicketFollowView:
    entries = [
        PublicTimelineEntry(
            event_type=t.event_type, occurred_at=t.occurred_at,
            note=t.note if t.event_type in PUBLIC_NOTES and t.visibility == "public" else None,
        )
        for t in timeline(session, ticket.id)
        if t.visibility != "staff"
    ]
    return TicketFollowView(
        id=ticket.id,
        kind=ticket.kind,
        title=ticket.title,
        category=ticket.category,
        category_name=_name("category", ticket.category) or ticket.category,
        status=ticket.status,
        status_label=STATUS_LABELS_ZH[TicketStatus(ticket.status)],
        community_id=ticket.community_id,
        community_name=_name("community", ticket.community_id) or ticket.community_id,
        department_name=_name("department", ticket.view().department_id),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        timeline=entries,
    )


def follow(session: Session, *, ticket_id: str, phone_last4: str) -> TicketFollowView:
    """The public view when the digits match the phone on the ticket; NotFound(NO_MATCH) otherwise, whatever the
    reason (no such ticket, other digits, an anonymous ticket or one filed without a phone)."""
    ticket = session.get(IntakeTicket, ticket_id)
    masked = ticket.reporter_phone_masked if ticket is not None and not ticket.anonymous else None
    on_file = masked[-4:] if masked and masked[-4:].isdigit() else "----"  # compared even when absent: same path
    if not hmac.compare_digest(on_file.encode(), phone_last4.encode()) or ticket is None:
        raise NotFound(NO_MATCH)
    return public_view(session, ticket)
