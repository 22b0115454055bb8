"""Residents and grid workers: 我要吹哨 (file a ticket or micro-wish), 我的诉求, a ticket's progress, and rating it."""
from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.portal.clients import BackendRejected
from services.portal.grids import grid_names
from services.portal.forms import FileForm, Posted, RatingForm, SuggestForm
from services.portal.labels import SATISFACTION_CHOICES
from services.portal.pages.wish_people import wish_statuses
from services.portal.wish_forms import WISH_STATUS
from services.portal.views import (
    AWAITING_RATING,
    BackendsDep,
    ResidentOnly,
    ResidentPage,
    Viewer,
    redirect,
    rejection_message,
    render,
)

router = APIRouter(default_response_class=HTMLResponse)


def _file_form_defaults(viewer: Viewer, kind: str = "problem") -> dict[str, Any]:
    return {
        "kind": "wish" if kind == "wish" else "problem",
        "category": "",
        "title": "",
        "description": "",
        "community_id": viewer.principal.community_id or "",
        "address": "",
        "contact_phone": "",
        "anonymous": False,
    }


@router.get("/file")
def file_form(request: Request, viewer: ResidentPage, kind: Annotated[str, Query(max_length=10)] = "problem") -> Response:
    """?kind=wish opens the form as a 微心愿 (its words rendered by the server, no script needed)."""
    # A fresh key per rendered form: a double click or a resubmit files the ticket once.
    return render(
        request, "file.html", viewer, form=_file_form_defaults(viewer, kind), idempotency_key=secrets.token_urlsafe(18),
        error=None,
    )



def forwarded_for(request: Request) -> dict[str, str]:
    """X-Forwarded-For for intake's per-address filing limit: the browser's address after any it arrived with
    (intake trusts only the last entry, and only from the portal's address)."""
    peer = request.client.host if request.client else None
    if not peer:
        return {}
    prior = request.headers.get("x-forwarded-for")
    return {"X-Forwarded-For": f"{prior}, {peer}" if prior else peer}


@router.post("/file/suggest", response_class=JSONResponse)
async def suggest_category(viewer: ResidentPage, clients: BackendsDep, body: SuggestForm) -> JSONResponse:
    """分类建议 while the resident types (the form's script): intake's ranking, with each category's name and reason."""
    text = {"title": body.title[:80], "description": body.description[:2000]}
    answer = await clients.call("intake", "POST", "/categories/suggest", token=viewer.token, json=text)
    return JSONResponse(answer)


@router.post("/file")
async def file_ticket(request: Request, viewer: ResidentPage, clients: BackendsDep, form: Posted[FileForm]) -> Response:
    form = form.in_community(viewer.principal.community_id)
    body = form.ticket(channel="grid" if viewer.role == "grid_worker" else "h5")
    try:
        ticket = await clients.call(
            "intake", "POST", "/tickets", token=viewer.token, json=body,
            headers={"Idempotency-Key": form.idempotency_key, **forwarded_for(request)}
        )
    except BackendRejected as exc:
        # Nothing was filed, so the same key may be reused when the person corrects the form.
        return render(
            request,
            "file.html",
            viewer,
            status_code=exc.status_code,
            form=form,
            idempotency_key=form.idempotency_key,
            error=rejection_message(exc, "提交未成功"),
        )
    return redirect(f"/tickets/{quote(ticket['id'])}?ok=filed")


@router.get("/mine")
async def my_tickets(request: Request, viewer: ResidentPage, clients: BackendsDep) -> Response:
    tickets = await clients.call("intake", "GET", "/tickets/mine", token=viewer.token, params={"limit": 100})
    awaiting = sum(1 for t in tickets if t["status"] in AWAITING_RATING and t.get("kind") != "wish")
    wishes = await wish_statuses(clients, viewer, tickets)
    return render(request, "mine.html", viewer, tickets=tickets, awaiting=awaiting, wishes=wishes, wish_status=WISH_STATUS)


async def _ticket_page(
    request: Request, viewer: Viewer, clients: BackendsDep, ticket_id: str, *, status_code: int = 200,
    rating_form: RatingForm | None = None, rating_error: str | None = None,
) -> Response:
    ticket = await clients.call("intake", "GET", f"/tickets/{quote(ticket_id)}", token=viewer.token)
    rated = _just_rated(request) if request.query_params.get("ok") == "rated" else None
    # Right after rating, intake may not have seen TicketRated yet: say 已评价 and do not offer the form twice.
    can_rate = viewer.role == "resident" and ticket["status"] in AWAITING_RATING and rated is None
    names = await grid_names(clients, viewer.token) if ticket.get("grid_id") else {}
    return render(
        request, "ticket.html", viewer, status_code=status_code, ticket=ticket, can_rate=can_rate,
        choices=SATISFACTION_CHOICES, grid_names=names, rated=rated, rating_form=rating_form or RatingForm(),
        rating_error=rating_error,
    )


def _just_rated(request: Request) -> str:
    """What the resident just gave (from the redirect, checked against the choices, so nothing else is echoed)."""
    satisfaction = dict(SATISFACTION_CHOICES).get(request.query_params.get("satisfaction", ""))
    solved = {"yes": "已解决", "no": "未解决"}.get(request.query_params.get("solved", ""))
    return " · ".join(part for part in (satisfaction, solved) if part)


@router.get("/tickets/{ticket_id}")
async def ticket_detail(request: Request, ticket_id: str, viewer: ResidentPage, clients: BackendsDep) -> Response:
    return await _ticket_page(request, viewer, clients, ticket_id)


@router.post("/tickets/{ticket_id}/rating")
async def rate_ticket(
    request: Request, ticket_id: str, viewer: ResidentOnly, clients: BackendsDep, form: Posted[RatingForm]
) -> Response:
    """评价: both questions must be answered by the resident (nothing is preselected); a missing answer is named beside
    the form and nothing is sent. Afterwards the page says 已评价 with what was given, before intake catches up."""
    problem = form.problem(SATISFACTION_CHOICES)
    if problem is not None:
        return await _ticket_page(request, viewer, clients, ticket_id, status_code=422, rating_form=form, rating_error=problem)
    await clients.call("feedback", "POST", f"/tickets/{quote(ticket_id)}/rating", token=viewer.token, json=form.body())
    given = urlencode({"satisfaction": form.satisfaction, "solved": form.solved})
    return redirect(f"/tickets/{quote(ticket_id)}?ok=rated&{given}")
