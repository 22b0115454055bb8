"""热线受理: the 12345 operator's page, built for speed while the caller talks.

The number comes first (autofocus); once it is whole, the page's script (static/hotline.js) shows the caller's latest
tickets through `GET /hotline/caller` (intake's caller lookup, with the operator's token). The category is found by
typing part of its name; Enter in any one-line field, Ctrl+Enter in the description or Alt+S files. Intake files the
ticket for the account the caller's number owns; the portal then makes sure that account exists here (unverified,
`UserStore.ensure_resident`), so the caller who later signs up with the number gets exactly it. The ticket number is
then shown big with 下一个来电 (Alt+N), which starts a fresh form."""
from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from libs.directory import get_directory
from libs.observability import get_logger
from libs.pii import mask_phone, normalize_phone
from services.portal.clients import BackendRejected
from services.portal.forms import IdempotencyKey, Posted, SuggestForm, Text
from services.portal.labels import STATUS_SHORT, STATUS_TONE, URGENCY_LABELS
from services.portal.views import (
    BackendsDep, HotlinePage, Viewer, category_name, format_time, redirect, rejection_message, render,
)

log = get_logger(__name__)
router = APIRouter(default_response_class=HTMLResponse)

PHONE_DIGITS = (11, 15)  # as intake checks it: a mobile, or a landline with its area code
KINDS = {"problem": "反映问题", "consultation": "咨询", "suggestion": "建议", "wish": "微心愿"}
TICKET_ID = re.compile(r"^[A-Za-z0-9-]{4,40}$")
TITLE_FROM_DESCRIPTION = 30  # a blank title is the description's first line, this long at most


class HotlineForm(BaseModel):
    """What the operator typed. Loose limits here; `problems()` says in Chinese what is missing, the text is kept."""

    idempotency_key: IdempotencyKey
    caller_phone: Text = Field("", max_length=30)
    caller_name: Text = Field("", max_length=40)
    anonymous: bool = False
    kind: str = Field("problem", max_length=20)
    title: Text = Field("", max_length=200)
    description: Text = Field("", max_length=4000)
    category_search: Text = Field("", max_length=40)
    category: str = Field("", max_length=40)
    urgency: str = Field("", max_length=20)
    community_id: str = Field("", max_length=40)
    address: Text = Field("", max_length=400)

    def problems(self) -> list[str]:
        found = []
        digits = len(normalize_phone(self.caller_phone))
        low, high = PHONE_DIGITS
        if not low <= digits <= high:
            found.append(f"来电号码应为 {low} 位手机号或带区号的固话号码（现在是 {digits} 位数字）")
        if len(self.description) < 2:
            found.append("请填写诉求描述（至少 2 个字）")
        if len(self.title) > 80:
            found.append("标题最多 80 个字")
        if len(self.description) > 2000:
            found.append("诉求描述最多 2000 个字")
        return found

    def ticket(self) -> dict[str, Any]:
        """intake's POST /hotline/tickets body; blanks are sent as null (intake suggests the category, places it)."""
        title = self.title or self.description.splitlines()[0].strip()[:TITLE_FROM_DESCRIPTION]
        return {
            "kind": self.kind if self.kind in KINDS else "problem",
            "title": title if len(title) >= 2 else self.description[:TITLE_FROM_DESCRIPTION],
            "description": self.description,
            "category": self.category or ("wish" if self.kind == "wish" else None),
            "urgency": self.urgency if self.urgency in URGENCY_LABELS else None,
            "community_id": self.community_id or None,
            "address": self.address or None,
            "caller_phone": self.caller_phone,
            "caller_name": None if self.anonymous else (self.caller_name or None),
            "anonymous": self.anonymous,
        }


def _page(request: Request, viewer: Viewer, *, form: HotlineForm | None = None, error: str | None = None,
          filed: str | None = None, status_code: int = 200) -> Response:
    form = form or HotlineForm(idempotency_key=secrets.token_urlsafe(18))
    page = render(
        request, "hotline.html", viewer, status_code=status_code, form=form, error=error, filed=filed, kinds=KINDS,
        urgencies=URGENCY_LABELS,
    )
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get("/hotline")
def hotline(request: Request, viewer: HotlinePage, filed: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """The empty form (a fresh Idempotency-Key per call), or after filing the ticket number with 下一个来电."""
    return _page(request, viewer, filed=filed if filed and TICKET_ID.match(filed) else None)


@router.post("/hotline")
async def file_for_caller(request: Request, viewer: HotlinePage, clients: BackendsDep, form: Posted[HotlineForm]) -> Response:
    problems = form.problems()
    if problems:
        return _page(request, viewer, form=form, error="；".join(problems), status_code=422)
    try:
        ticket = await clients.call(
            "intake", "POST", "/hotline/tickets", token=viewer.token, json=form.ticket(),
            headers={"Idempotency-Key": form.idempotency_key},
        )
    except BackendRejected as exc:  # nothing was filed: the same key is kept for the corrected form
        return _page(request, viewer, form=form, error=rejection_message(exc, "受理未成功"), status_code=exc.status_code)
    await _ensure_caller_account(request, form, ticket)
    return redirect(f"/hotline?filed={quote(ticket['id'])}")


async def _ensure_caller_account(request: Request, form: HotlineForm, ticket: dict[str, Any]) -> None:
    """The caller's portal account (the one their number owns, unverified when new). A landline owns none; a failure
    here loses nothing: the ticket is filed under the number's account id, which sign-up creates the same."""
    users = request.app.state.users
    name = None if form.anonymous else (form.caller_name or None)
    try:
        await run_in_threadpool(users.ensure_resident, form.caller_phone, name, ticket.get("community_id"))
    except ValueError:
        log.info("hotline_caller_not_mobile", ticket_id=ticket["id"], caller=mask_phone(form.caller_phone))
    except SQLAlchemyError as exc:
        log.warning("hotline_caller_account_failed", ticket_id=ticket["id"], caller=mask_phone(form.caller_phone),
                    error=type(exc).__name__)


@router.get("/hotline/caller", response_class=JSONResponse)
async def caller_history(
    viewer: HotlinePage, clients: BackendsDep, phone: Annotated[str, Query(max_length=30)] = ""
) -> JSONResponse:
    """The caller's latest tickets for the page's script, with the names a person reads; never cached."""
    try:
        rows = await clients.call("intake", "GET", "/hotline/callers/tickets", token=viewer.token, params={"phone": phone})
    except BackendRejected as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers={"Cache-Control": "no-store"})
    directory = get_directory()
    tickets = []
    for row in rows:
        community = directory.community(row["community_id"])
        tickets.append({
            **row,
            "category_name": category_name(row["category"]),
            "community_name": community.name if community else row["community_id"],
            "status_short": STATUS_SHORT.get(row["status"], row["status"]),
            "tone": STATUS_TONE.get(row["status"], "muted"),
            "created": format_time(row["created_at"], "%Y-%m-%d %H:%M"),
        })
    return JSONResponse({"caller": mask_phone(phone), "tickets": tickets}, headers={"Cache-Control": "no-store"})


@router.post("/hotline/suggest", response_class=JSONResponse)
async def suggest_category(viewer: HotlinePage, clients: BackendsDep, body: SuggestForm) -> JSONResponse:
    """分类建议 from what the operator typed (intake's ranking, names and reasons)."""
    text = {"title": body.title[:80], "description": body.description[:2000]}
    return JSONResponse(await clients.call("intake", "POST", "/categories/suggest", token=viewer.token, json=text))
