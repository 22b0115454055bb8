"""Residents and grid workers: 我要吹哨 (file a ticket or micro-wish), 我的诉求, a ticket's progress, and rating it."""
from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.clients import BackendRejected
from services.portal.labels import SATISFACTION_CHOICES
from services.portal.views import (
    AWAITING_RATING,
    BackendsDep,
    ResidentOnly,
    ResidentPage,
    Viewer,
    redirect,
    rejection_message,
    render,
    ticket_action,
)

router = APIRouter(default_response_class=HTMLResponse)


def _file_form_defaults(viewer: Viewer) -> dict[str, Any]:
    return {
        "kind": "problem",
        "category": "",
        "title": "",
        "description": "",
        "community_id": viewer.principal.community_id or "",
        "address": "",
        "contact_phone": "",
        "anonymous": False,
    }


@router.get("/file")
def file_form(request: Request, viewer: ResidentPage) -> Response:
    # A fresh key per rendered form: a double click or a resubmit files the ticket once.
    return render(
        request, "file.html", viewer, form=_file_form_defaults(viewer), idempotency_key=secrets.token_urlsafe(18), error=None
    )


@router.post("/file")
async def file_ticket(
    request: Request,
    viewer: ResidentPage,
    clients: BackendsDep,
    idempotency_key: Annotated[str, Form(min_length=8, max_length=100)],
    title: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    kind: Annotated[str, Form(max_length=10)] = "problem",
    community_id: Annotated[str, Form(max_length=40)] = "",
    address: Annotated[str, Form(max_length=400)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
    anonymous: Annotated[bool, Form()] = False,
) -> Response:
    form = {
        "kind": kind if kind in ("problem", "wish") else "problem",
        "category": category or ("wish" if kind == "wish" else ""),
        "title": title.strip(),
        "description": description.strip(),
        "community_id": community_id or viewer.principal.community_id or "",
        "address": address.strip(),
        "contact_phone": contact_phone.strip(),
        "anonymous": anonymous,
    }
    body = {
        "kind": form["kind"],
        "title": form["title"],
        "description": form["description"],
        "category": form["category"],
        "channel": "grid" if viewer.role == "grid_worker" else "h5",
        "community_id": form["community_id"] or None,
        "address": form["address"] or None,
        "contact_phone": form["contact_phone"] or None,
        "anonymous": form["anonymous"],
    }
    try:
        ticket = await clients.call(
            "intake", "POST", "/tickets", token=viewer.token, json=body, headers={"Idempotency-Key": idempotency_key}
        )
    except BackendRejected as exc:
        # Nothing was filed, so the same key may be reused when the person corrects the form.
        return render(
            request,
            "file.html",
            viewer,
            status_code=exc.status_code,
            form=form,
            idempotency_key=idempotency_key,
            error=rejection_message(exc, "提交未成功"),
        )
    return redirect(f"/tickets/{quote(ticket['id'])}?ok=filed")


@router.get("/mine")
async def my_tickets(request: Request, viewer: ResidentPage, clients: BackendsDep) -> Response:
    tickets = await clients.call("intake", "GET", "/tickets/mine", token=viewer.token, params={"limit": 100})
    awaiting = sum(1 for t in tickets if t["status"] in AWAITING_RATING)
    return render(request, "mine.html", viewer, tickets=tickets, awaiting=awaiting)


@router.get("/tickets/{ticket_id}")
async def ticket_detail(request: Request, ticket_id: str, viewer: ResidentPage, clients: BackendsDep) -> Response:
    ticket = await clients.call("intake", "GET", f"/tickets/{quote(ticket_id)}", token=viewer.token)
    # Right after rating, intake may not have seen TicketRated yet: do not offer the form twice.
    just_rated = request.query_params.get("ok") == "rated"
    can_rate = viewer.role == "resident" and ticket["status"] in AWAITING_RATING and not just_rated
    return render(request, "ticket.html", viewer, ticket=ticket, can_rate=can_rate, choices=SATISFACTION_CHOICES)


@router.post("/tickets/{ticket_id}/rating")
async def rate_ticket(
    ticket_id: str,
    viewer: ResidentOnly,
    clients: BackendsDep,
    satisfaction: Annotated[str, Form(max_length=30)],
    solved: Annotated[str, Form(max_length=5)],
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    body = {"satisfaction": satisfaction, "solved": solved == "yes", "comment": comment.strip() or None}
    await ticket_action(clients, viewer, "feedback", ticket_id, "rating", body)
    return redirect(f"/tickets/{quote(ticket_id)}?ok=rated")
