"""不登录也能吹哨: residents without an account file here, and follow the ticket with its number and the last four
digits of their phone (follow.py). No token.

- The mobile number is required (a guest can only follow with it) and is kept like every reporter's: encrypted,
  masked for staff, never on an event. The ticket's reporter is the resident account that number owns (libs/pii
  `resident_id`), so signing up later with the number shows the ticket under 我的诉求 and lets the resident rate it.
- `filed_by` is "guest:" + a prefix of the phone's keyed hash: Idempotency-Keys are per phone, apart from the
  account's own filings. Channel "h5" (the portal's mobile page), actor the reporter's account.
- A guest cannot file anonymously (an anonymous ticket keeps no phone, so nobody could follow it) and cannot attach
  photos: an upload belongs to whoever made it (attachments.link_photos), and a guest has no identity to own one
  before filing; photos stay with signed-in residents.
- The per-address (abuse.limit_filing_ip) and per-phone (filing.file_ticket) limits apply."""
from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response, status
from pydantic import ConfigDict, Field, field_validator

from libs.events import Actor
from libs.events.models import TicketKind
from libs.pii import get_vault, normalize_phone
from libs.runtime import RuntimeDep
from services.intake import filing
from services.intake.abuse import TOO_FREQUENT, get_limiter, limit_filing_ip
from services.intake.filing import FileTicket
from services.intake.follow import NO_MATCH, FollowRequest, TicketFollowView, follow, get_follow_guard, public_view
from services.intake.models import TicketBase

router = APIRouter(prefix="/public/tickets", tags=["guest"])
GUEST_PREFIX = "guest:"
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def _example(detail: str) -> dict[str, Any]:
    return {"content": {"application/json": {"example": {"detail": detail}}}}


class GuestTicketCreate(TicketBase):
    """What a resident without an account submits. 不登录吹哨"""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "problem",
                    "title": "小区门口路灯不亮",
                    "description": "馨然嘉园北门的路灯坏了一周，晚上很黑。",
                    "community_id": "xinran",
                    "address": "馨然嘉园北门",
                    "contact_phone": "13800138000",
                    "contact_name": "王女士",
                }
            ]
        },
    )
    kind: TicketKind = Field(default="problem", description="problem 诉求, wish 微心愿, hazard 隐患, consultation 咨询, suggestion 建议")
    category: str | None = Field(
        default=None, max_length=40, description="Category id from the district's list; blank: suggested from the text"
    )
    community_id: str | None = Field(default=None, max_length=40, description="Blank: placed by position or address")
    contact_phone: str = Field(max_length=20, description="手机号 (11 digits): required, the key to 查询进度; stored encrypted")
    contact_name: str | None = Field(default=None, min_length=1, max_length=40, description="称呼, optional, stored encrypted")

    @field_validator("title", "description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        if len(value.strip()) < 2:  # the length the ticket keeps (TicketPublic) is checked after the trim (found by fuzzing)
            raise ValueError("must have at least 2 characters besides spaces")
        return value.strip()

    @field_validator("contact_phone")
    @classmethod
    def _mobile(cls, value: str) -> str:
        if not re.fullmatch(r"\+?[0-9 \-]{7,20}", value) or not MOBILE.match(normalize_phone(value)):
            raise ValueError("请填写 11 位手机号码")
        return normalize_phone(value)


def guest_filing(body: GuestTicketCreate, idempotency_key: str) -> FileTicket:
    vault = get_vault()
    reporter = vault.resident_id(body.contact_phone)
    return FileTicket(
        **body.model_dump(
            include={"kind", "title", "description", "category", "community_id", "address", "latitude", "longitude",
                     "contact_phone", "contact_name"}
        ),
        channel="h5",
        actor=Actor(role="resident", id=reporter),
        filed_by=GUEST_PREFIX + vault.phone_hash(body.contact_phone)[:24],
        idempotency_key=idempotency_key,
        reporter_id=reporter,
    )


@router.post(
    "",
    response_model=TicketFollowView,
    status_code=status.HTTP_201_CREATED,
    summary="不登录吹哨: file without an account; follow it with the number and the phone's last four digits",
    dependencies=[Depends(limit_filing_ip)],
    responses={
        200: {"description": "Retried submission: the ticket first filed with this Idempotency-Key and phone"},
        409: {"description": "The Idempotency-Key was used for a different ticket from this phone",
              **_example("Idempotency-Key 'k-1' was already used for a different ticket (T20261127-0A1B2C3D)")},
        422: {"description": "A field is missing or wrong (the field is named), e.g. no mobile number",
              **_example("category: unknown category 'roads'; known: road, ...")},
        429: {"description": "Too many filings from this phone or address; see Retry-After",
              **_example(f"contact_phone: {TOO_FREQUENT}（约 3500 秒后可再提交）")},
    },
)
def file_as_guest(
    body: GuestTicketCreate,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(min_length=8, max_length=100, description="Unique per submission; a retry with the same key files nothing new"),
    ],
) -> TicketFollowView:
    def run(session):  # noqa: ANN001, ANN202 - one transaction: file, then read back the public view
        ticket, created = filing.file_ticket(session, guest_filing(body, idempotency_key))
        session.flush()
        return public_view(session, ticket), created

    view, created = runtime.run(run)
    if not created:
        response.status_code = status.HTTP_200_OK
    return view


@router.post(
    "/{ticket_id}/lookup",
    response_model=TicketFollowView,
    summary="查询进度: a ticket's public progress by its number and the last four digits of the reporter's phone",
    responses={
        404: {"description": "No such ticket, other digits, or a ticket without a phone (anonymous): one answer for all",
              **_example(NO_MATCH)},
        422: {"description": "phone_last4 is not four digits", **_example("phone_last4: String should match pattern")},
        429: {"description": "Too many wrong tries for this ticket or from this address; see Retry-After",
              **_example("phone_last4: 查询错误次数过多，为保护您的信息，请约 60 分钟后再试")},
    },
)
def lookup(
    ticket_id: Annotated[str, Path(min_length=1, max_length=40)],
    body: FollowRequest,
    request: Request,
    runtime: RuntimeDep,
    response: Response,
) -> TicketFollowView:
    response.headers["Cache-Control"] = "no-store"
    guard = get_follow_guard()
    address = get_limiter().client_address(request)
    guard.admit(runtime.engine, ticket_id, address)
    view = runtime.read(follow, ticket_id=ticket_id, phone_last4=body.phone_last4)  # NotFound: the try stays counted
    guard.forgive(runtime.engine, ticket_id, address)
    return view
