"""Supervisors 督办: pending extension requests to grant or refuse, and the tickets escalated past their deadline."""
from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.clients import BackendRejected, Backends
from services.portal.forms import GrantForm, Posted, RefuseForm
from services.portal.views import BackendsDep, SupervisionPage, Viewer, redirect, render

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/supervision")
async def supervision(request: Request, viewer: SupervisionPage, clients: BackendsDep) -> Response:
    pending = await clients.call("dispatch", "GET", "/extensions", token=viewer.token, params={"status": "pending", "limit": 200})
    escalated = await clients.call("dashboard", "GET", "/escalated", token=viewer.token, params={"limit": 200})
    tickets = await _tickets(clients, viewer, [x["ticket_id"] for x in pending[:SHOWN_DEADLINES]])
    return render(request, "supervision.html", viewer, pending=pending, escalated=escalated, tickets=tickets)


SHOWN_DEADLINES = 50  # the first requests show the ticket's deadlines as they stand


async def _tickets(clients: Backends, viewer: Viewer, ticket_ids: list[str]) -> dict[str, Any]:
    """The tickets the extension requests are for, as dispatch sees them now (deadlines and time left); one that
    cannot be had is left out, the request still shown."""
    found = await asyncio.gather(
        *(clients.call("dispatch", "GET", f"/tickets/{quote(i)}", token=viewer.token) for i in dict.fromkeys(ticket_ids)),
        return_exceptions=True,
    )
    return {t["id"]: t for t in found if isinstance(t, dict)}


async def _decide(clients: Backends, viewer: Viewer, request_event_id: str, decision: str, body: Any, ok: str) -> Response:
    path = f"/extensions/{quote(request_event_id)}/{decision}"
    await clients.call("dispatch", "POST", path, token=viewer.token, json=body)
    return redirect(f"/supervision?ok={ok}")


@router.post("/supervision/extensions/{request_event_id}/grant")
async def grant_extension(
    request_event_id: str, viewer: SupervisionPage, clients: BackendsDep, form: Posted[GrantForm]
) -> Response:
    try:
        body = form.body()
    except ValueError:
        raise BackendRejected("dispatch", 422, "批准时长：请填写数字") from None
    return await _decide(clients, viewer, request_event_id, "grant", body, ok="granted")


@router.post("/supervision/extensions/{request_event_id}/refuse")
async def refuse_extension(
    request_event_id: str, viewer: SupervisionPage, clients: BackendsDep, form: Posted[RefuseForm]
) -> Response:
    return await _decide(clients, viewer, request_event_id, "refuse", form.body(), ok="refused")
