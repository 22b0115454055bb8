"""Supervisors 督办: pending extension requests to grant or refuse, and the tickets escalated past their deadline."""
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.clients import BackendRejected, Backends
from services.portal.views import BackendsDep, SupervisionPage, Viewer, redirect, render

router = APIRouter(default_response_class=HTMLResponse)


@router.get("/supervision")
async def supervision(request: Request, viewer: SupervisionPage, clients: BackendsDep) -> Response:
    pending = await clients.call("dispatch", "GET", "/extensions", token=viewer.token, params={"status": "pending", "limit": 200})
    escalated = await clients.call("dashboard", "GET", "/escalated", token=viewer.token, params={"limit": 200})
    return render(request, "supervision.html", viewer, pending=pending, escalated=escalated)


async def _decide(clients: Backends, viewer: Viewer, request_event_id: str, decision: str, body: dict[str, Any]) -> None:
    await clients.call(
        "dispatch", "POST", f"/extensions/{quote(request_event_id)}/{decision}", token=viewer.token, json=body
    )


@router.post("/supervision/extensions/{request_event_id}/grant")
async def grant_extension(
    request_event_id: str,
    viewer: SupervisionPage,
    clients: BackendsDep,
    amount: Annotated[str, Form(max_length=20)] = "",
    unit: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Blank amount/unit grant what the department asked for."""
    body: dict[str, Any] = {}
    if amount.strip():
        try:
            body["amount"] = float(amount)
        except ValueError:
            raise BackendRejected("dispatch", 422, "批准时长：请填写数字") from None
    if unit.strip():
        body["unit"] = unit.strip()
    if note.strip():
        body["note"] = note.strip()
    await _decide(clients, viewer, request_event_id, "grant", body)
    return redirect("/supervision?ok=granted")


@router.post("/supervision/extensions/{request_event_id}/refuse")
async def refuse_extension(
    request_event_id: str, viewer: SupervisionPage, clients: BackendsDep, note: Annotated[str, Form(max_length=500)]
) -> Response:
    await _decide(clients, viewer, request_event_id, "refuse", {"note": note.strip()})
    return redirect("/supervision?ok=refused")
