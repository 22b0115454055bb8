"""Web and mobile H5 (the portal's form, or any client with a token): residents, grid workers and staff file here."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status

from libs.auth import Principal, require
from libs.events import Actor
from libs.runtime import RuntimeDep
from libs.statemachine import Forbidden
from services.intake.api import to_public
from services.intake import filing
from services.intake.abuse import limit_filing_ip
from services.intake.filing import FileTicket
from services.intake.models import TicketCreate, TicketPublic

router = APIRouter(prefix="/tickets", tags=["tickets"])

Filer = Annotated[Principal, Depends(require("resident", "grid_worker", "community_staff", "admin"))]
# Channels a web client may name; hotline, WeChat, SMS and Open311 filings arrive through their own adapters.
WEB_CHANNELS = {"web": None, "h5": None, "grid": "grid_worker"}


def web_filing(body: TicketCreate, principal: Principal, idempotency_key: str) -> FileTicket:
    """The FileTicket a signed-in web user means: a resident files for themselves; staff and grid workers for others."""
    if body.channel not in WEB_CHANNELS:
        raise Forbidden(f"channel: {body.channel!r} filings arrive through their own channel, not the web form")
    if WEB_CHANNELS[body.channel] not in (None, principal.role):
        raise Forbidden(f"channel: only a grid worker files through {body.channel!r}")
    if body.verified_on_site and principal.role != "grid_worker":
        raise Forbidden("verified_on_site: only a grid worker can confirm a problem on site (现场核实)")
    return FileTicket(
        **body.model_dump(
            include={"kind", "title", "description", "category", "urgency", "community_id", "grid_id", "address", "latitude",
                     "longitude", "contact_phone", "contact_name", "anonymous", "verified_on_site", "channel"}
        ),
        attachments=tuple(body.attachments),
        actor=Actor(**principal.actor()),
        filed_by=principal.sub,
        idempotency_key=idempotency_key,
        reporter_id=principal.sub if principal.role == "resident" else None,
        # A position outside every grid (nor an address naming a compound) goes to the street, not the filer's community.
        fallback_community=None if _positioned(body) else principal.community_id,
    )


def _positioned(body: TicketCreate) -> bool:
    return body.latitude is not None and body.longitude is not None


@router.post(
    "",
    response_model=TicketPublic,
    status_code=status.HTTP_201_CREATED,
    summary="File a ticket or micro-wish (吹哨)",
    dependencies=[Depends(limit_filing_ip)],
    responses={
        200: {"description": "Retried submission: the ticket first filed with this Idempotency-Key"},
        403: {"description": "The channel or 现场核实 is not yours to use"},
        409: {"description": "The Idempotency-Key was used for a different ticket"},
        422: {"description": "A field is missing or names something the district does not have"},
        429: {"description": "Too many filings from this phone or address (提交过于频繁); see Retry-After"},
    },
)
def file_ticket(
    body: TicketCreate,
    principal: Filer,
    runtime: RuntimeDep,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(min_length=8, max_length=100, description="Unique per submission; a retry with the same key files nothing new"),
    ],
) -> TicketPublic:
    ticket, created = runtime.run(lambda session: filing.file_ticket(session, web_filing(body, principal, idempotency_key)))
    if not created:
        response.status_code = status.HTTP_200_OK
    return to_public(ticket)
