"""街道分拨: the street's supervisors see the tickets nothing placed in a community (no grid, position, address or
filer's community) and assign each to a community, whose console takes it over."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from libs.directory import get_directory
from services.portal.clients import BackendRejected
from services.portal.views import BackendsDep, SupervisorOnly, redirect, render

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/triage")
async def street_triage(request: Request, viewer: SupervisorOnly, clients: BackendsDep) -> Response:
    queue = await clients.call("dispatch", "GET", "/street-triage", token=viewer.token, params={"limit": 200})
    directory, street = get_directory(), viewer.principal.street_id
    others = [(directory.triage_scope_of(s.id), directory.triage_name(directory.triage_scope_of(s.id)))
              for s in directory.streets if s.id != street]
    return render(request, "street_triage.html", viewer, queue=queue, communities=directory.communities_of(street), other_streets=others)


@router.post("/triage/{ticket_id}/assign")
async def assign_community(
    ticket_id: str,
    viewer: SupervisorOnly,
    clients: BackendsDep,
    place: Annotated[str, Form(max_length=90)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """`place` is "community" or "community/grid", from the one picker."""
    community_id, _, grid_id = place.strip().partition("/")
    if not community_id:
        raise BackendRejected("dispatch", 422, "所属社区：请选择要分拨到的社区")
    body = {"community_id": community_id, "grid_id": grid_id or None, "note": note.strip() or None}
    await clients.call("dispatch", "POST", f"/tickets/{quote(ticket_id)}/assign-community", token=viewer.token, json=body)
    return redirect("/triage?ok=assigned")
