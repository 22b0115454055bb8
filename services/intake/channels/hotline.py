"""12345 hotline (热线): an operator files on a caller's behalf and looks up what the caller reported before.

- `POST /hotline/tickets`: the ticket fields plus the caller's number (and name, or anonymous). The ticket belongs to
  the resident account the number owns (libs/pii `Vault.resident_id`: the same id from every channel and the username
  of whoever signs up with that number), so the caller follows and rates it later; the operator is only `filed_by`
  (scoping the Idempotency-Key) and the event's actor. The number is stored encrypted (privacy.py), masked on the
  ticket, never on an event.
- `GET /hotline/callers/tickets?phone=`: the caller's latest tickets as a summary (no contact, no description),
  newest first, for the operator to say "your report of last week is being handled". Every lookup is logged with the
  number masked and its keyed hash, never in clear.

Operators serve the whole district (no community scope) and may do only these two things: they read no ticket lists
and act on no ticket (every other endpoint's role check leaves them out)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status
from pydantic import ConfigDict, Field, field_validator
from sqlmodel import Session, SQLModel, col, select

from libs.auth import Principal, require
from libs.events import Actor
from libs.events.models import Urgency
from libs.observability import get_logger
from libs.pii import get_vault, mask_phone, normalize_phone
from libs.runtime import RuntimeDep
from libs.statemachine import Rejected
from libs.ticket.status import STATUS_LABELS_ZH, TicketStatus
from services.intake import filing
from services.intake.api import to_public
from services.intake.filing import FileTicket
from services.intake.models import IntakeTicket, TicketBase, TicketPublic
from services.intake.privacy import tickets_of_phone

log = get_logger(__name__)
router = APIRouter(prefix="/hotline", tags=["hotline"])
Operator = Annotated[Principal, Depends(require("operator"))]

RECENT = 10  # how many of the caller's tickets the operator sees
PHONE_DIGITS = (11, 15)  # a mobile (11) or a landline with its area code (11-12), with room for an extension


def caller_number(phone: str, field: str) -> str:
    """The number as typed, when it has enough digits to be a whole number; else Rejected (422) naming `field`."""
    digits = normalize_phone(phone)
    low, high = PHONE_DIGITS
    if not low <= len(digits) <= high:
        raise Rejected(f"{field}: 来电号码应为 {low} 位手机号或带区号的固话号码（收到 {len(digits)} 位数字）")
    return phone.strip()


class HotlineTicketCreate(TicketBase):
    """What the operator types while the caller talks. 热线受理"""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "caller_phone": "13800138000",
                    "caller_name": "何先生",
                    "title": "楼道灯不亮",
                    "description": "5号楼2单元楼道灯坏了一周，晚上老人上下楼不方便。",
                    "category": "property",
                    "community_id": "xinran",
                    "urgency": "ordinary",
                }
            ]
        },
    )
    caller_phone: str = Field(
        pattern=r"^\+?[0-9 \-]{7,24}$", description="来电号码: the account it owns is the ticket's reporter; stored encrypted"
    )
    caller_name: str | None = Field(default=None, min_length=1, max_length=40, description="来电人称呼, stored encrypted")
    anonymous: bool = Field(default=False, description="The caller asks that staff see no name or number")
    category: str | None = Field(
        default=None, max_length=40, description="Category id; blank: suggested from the text (分类建议)"
    )
    urgency: Urgency | None = Field(default=None, description="Defaults from the category")
    community_id: str | None = Field(default=None, max_length=40, description="Blank: placed by the address, else by the street")
    grid_id: str | None = Field(default=None, max_length=40)

    @field_validator("title", "description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        if len(value.strip()) < 2:  # the length the ticket keeps (TicketPublic) is checked after the trim (found by fuzzing)
            raise ValueError("must have at least 2 characters besides spaces")
        return value.strip()

    @field_validator("caller_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


class CallerTicket(SQLModel):
    """One of the caller's tickets as the operator may see it: no contact, no description."""

    id: str
    title: str
    status: str
    status_label: str
    category: str
    community_id: str
    created_at: datetime


def hotline_filing(body: HotlineTicketCreate, operator: Principal, idempotency_key: str) -> FileTicket:
    """The caller's ticket, filed by the operator: reporter = the account the caller's number owns."""
    phone = caller_number(body.caller_phone, "caller_phone")
    return FileTicket(
        **body.model_dump(
            include={"kind", "title", "description", "category", "urgency", "community_id", "grid_id", "address",
                     "latitude", "longitude", "anonymous"}
        ),
        channel="hotline",
        actor=Actor(**operator.actor()),
        filed_by=operator.sub,
        idempotency_key=idempotency_key,
        reporter_id=get_vault().resident_id(phone),
        contact_phone=phone,
        contact_name=None if body.anonymous else body.caller_name,
    )


def caller_tickets(session: Session, *, phone: str, limit: int = RECENT) -> list[CallerTicket]:
    """The caller's named tickets, newest first: those reported from the number (by its hash) and those of the account
    it owns (filed on the web after signing up). Anonymous tickets are left out: the number must not unmask them."""
    ids = set(tickets_of_phone(session, phone))
    owner = get_vault().resident_id(phone)
    query = (
        select(IntakeTicket)
        .where(col(IntakeTicket.id).in_(sorted(ids)) | (IntakeTicket.reporter_id == owner))
        .where(IntakeTicket.anonymous == False)  # noqa: E712 - SQL comparison
        .order_by(col(IntakeTicket.created_at).desc(), col(IntakeTicket.id).desc())
        .limit(limit)
    )
    return [
        CallerTicket(
            id=t.id, title=t.title, status=t.status, status_label=STATUS_LABELS_ZH[TicketStatus(t.status)],
            category=t.category, community_id=t.community_id, created_at=t.created_at,
        )
        for t in session.exec(query)
    ]


ERRORS = {
    401: {"description": "No or an invalid bearer token",
          "content": {"application/json": {"example": {"detail": "missing bearer token in Authorization header"}}}},
    403: {"description": "Only hotline operators use the hotline",
          "content": {"application/json": {"example": {"detail": "role 'resident' may not do this; allowed: operator"}}}},
}


@router.post(
    "/tickets",
    response_model=TicketPublic,
    status_code=status.HTTP_201_CREATED,
    summary="热线受理: file a ticket for a caller (linked to the account their number owns)",
    responses={
        200: {"description": "Retried submission: the ticket this operator first filed with this Idempotency-Key"},
        **ERRORS,
        409: {"description": "This operator used the Idempotency-Key for a different ticket",
              "content": {"application/json": {"example": {"detail": "Idempotency-Key 'call-0001' was already used for a different ticket (T20261127-0000ABCD)"}}}},
        422: {"description": "A field is missing or unusable (the caller's number too short, an unknown community or category)",
              "content": {"application/json": {"example": {"detail": "caller_phone: 来电号码应为 11 位手机号或带区号的固话号码（收到 7 位数字）"}}}},
        429: {"description": "Too many filings for this caller's number (提交过于频繁); see Retry-After",
              "content": {"application/json": {"example": {"detail": "提交过于频繁，请稍后再试"}}}},
    },
)
def file_for_caller(
    body: HotlineTicketCreate,
    operator: Operator,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(min_length=8, max_length=100, description="Unique per call; a retry with the same key files nothing new"),
    ],
) -> TicketPublic:
    command = hotline_filing(body, operator, idempotency_key)
    ticket, created = runtime.run(lambda session: filing.file_ticket(session, command))
    if not created:
        response.status_code = status.HTTP_200_OK
    log.info("hotline_filed", ticket_id=ticket.id, operator_id=operator.sub, caller=mask_phone(command.contact_phone),
             created=created)
    return to_public(ticket)


@router.get(
    "/callers/tickets",
    response_model=list[CallerTicket],
    summary="来电人历史工单: the caller's latest tickets (at most 10, newest first, no contact details)",
    responses={
        **ERRORS,
        422: {"description": "The number is not a whole number yet (fewer than 11 digits)",
              "content": {"application/json": {"example": {"detail": "phone: 来电号码应为 11 位手机号或带区号的固话号码（收到 7 位数字）"}}}},
    },
)
def lookup_caller(
    operator: Operator,
    runtime: RuntimeDep,
    response: Response,
    phone: Annotated[str, Query(min_length=1, max_length=30, description="The caller's number, any spelling")],
) -> list[CallerTicket]:
    number = caller_number(phone, "phone")
    found = runtime.read(caller_tickets, phone=number)
    response.headers["Cache-Control"] = "no-store"
    log.info("hotline_caller_lookup", operator_id=operator.sub, caller=mask_phone(number),
             caller_hash=get_vault().phone_hash(number)[:12], found=len(found))
    return found
