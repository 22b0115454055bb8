"""审计 for leaders and admins: every action on one ticket, from intake's append-only audit (GET /tickets/{id}/audit):
when (Beijing time), who (role and account), what (the event in Chinese) and what it carried."""
from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.labels import EVENT_LABELS, ROLE_LABELS
from services.portal.views import BackendsDep, Viewer, page_for, render

router = APIRouter(default_response_class=HTMLResponse)
AuditPage = Annotated[Viewer, Depends(page_for("leader", "admin"))]
TICKET_ID = re.compile(r"^[A-Za-z0-9-]{4,40}$")
SHOWN = ("department_id", "community_id", "category", "note", "reason", "stage", "level", "amount", "unit", "satisfaction",
         "solved", "merged_into", "outcome", "text", "visibility", "deadline")


def details(payload: dict) -> list[tuple[str, str]]:
    """What an event carried that a reader needs, as (key, value) in a fixed order; long text shortened."""
    shown = []
    for key in SHOWN:
        value = payload.get(key)
        if value not in (None, "", [], {}):
            text = str(value)
            shown.append((key, text if len(text) <= 120 else text[:117] + "…"))
    return shown


@router.get("/audit")
async def audit_page(
    request: Request, viewer: AuditPage, clients: BackendsDep,
    ticket_id: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    ticket_id = ticket_id.strip()
    if not ticket_id:
        return render(request, "audit.html", viewer, ticket_id="", lines=None, error=None)
    if not TICKET_ID.match(ticket_id):
        return render(request, "audit.html", viewer, status_code=422, ticket_id=ticket_id, lines=None, error="诉求编号：格式不正确，如 T20261127-0000ABCD")
    lines = await clients.call("intake", "GET", f"/tickets/{quote(ticket_id)}/audit", token=viewer.token)
    return render(request, "audit.html", viewer, ticket_id=ticket_id, lines=lines, error=None, event_labels=EVENT_LABELS,
                  role_labels=ROLE_LABELS, details=details)
