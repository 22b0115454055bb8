"""Public pages, no login: 不登录也能吹哨 (/report) and 查询进度 (/follow) by ticket number + the phone's last four
digits. Both call intake's public routes without a token (intake's channels/guest.py), forwarding the browser's
address so intake's per-address limits count the person, not the portal. The digits travel in the POST body, never
in a URL. Guests attach no photos (an upload needs an owner: signed-in residents only)."""
from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, model_validator

from services.portal.clients import BackendRejected
from services.portal.forms import IdempotencyKey, Posted, Text
from services.portal.pages.resident import forwarded_for
from services.portal.views import BackendsDep, optional_viewer, redirect, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)

TICKET_NUMBER = re.compile(r"^T\d{8}-[0-9A-F]{8}$")
FOLLOW_NO_MATCH = "未查到该工单，请核对工单编号和手机号后四位。"
FOLLOW_BAD_DIGITS = "请输入登记手机号的后四位（4 位数字）。"


def ticket_number(raw: str | None) -> str:
    """What a person typed as the number: spaces dropped, letters upper-cased (t20261127-3fa2c91b works)."""
    return re.sub(r"\s+", "", raw or "").upper()[:40]


class GuestFileForm(BaseModel):
    """不登录吹哨: like 我要吹哨 without photos or anonymity; the mobile number is required."""

    idempotency_key: IdempotencyKey
    kind: str = Field("problem", max_length=10)
    category: str = Field("", max_length=40)
    title: Text = Field("", max_length=200)
    description: Text = Field("", max_length=4000)
    community_id: str = Field("", max_length=40)
    address: Text = Field("", max_length=400)
    contact_phone: Text = Field("", max_length=40)
    contact_name: Text = Field("", max_length=40)

    @model_validator(mode="after")
    def _kind_and_category(self) -> GuestFileForm:
        self.category = self.category or ("wish" if self.kind == "wish" else "")
        self.kind = self.kind if self.kind in ("problem", "wish") else "problem"
        return self

    def ticket(self) -> dict[str, Any]:
        """intake's POST /public/tickets body; blanks are left out."""
        body: dict[str, Any] = {"kind": self.kind, "title": self.title, "description": self.description,
                                "contact_phone": self.contact_phone}
        for name in ("category", "community_id", "address", "contact_name"):
            if getattr(self, name):
                body[name] = getattr(self, name)
        return body


class FollowForm(BaseModel):
    ticket_id: str = Field("", max_length=60)
    phone_last4: Text = Field("", max_length=10)


def _blank_form(kind: str = "problem") -> dict[str, Any]:
    return {"kind": "wish" if kind == "wish" else "problem", "category": "", "title": "", "description": "",
            "community_id": "", "address": "",
            "contact_phone": "", "contact_name": ""}


@router.get("/report")
def report_form(request: Request, kind: Annotated[str, Query(max_length=10)] = "problem") -> Response:
    """?kind=wish opens the form as a 微心愿."""
    # A fresh key per rendered form: a double click or a resubmit files the ticket once.
    return render(request, "report.html", optional_viewer(request), form=_blank_form(kind),
                  idempotency_key=secrets.token_urlsafe(18), error=None)


@router.post("/report")
async def report(request: Request, clients: BackendsDep, form: Posted[GuestFileForm]) -> Response:
    try:
        ticket = await clients.call(
            "intake", "POST", "/public/tickets", token=None, json=form.ticket(),
            headers={"Idempotency-Key": form.idempotency_key, **forwarded_for(request)},
        )
    except BackendRejected as exc:
        # Nothing was filed: the same key may be reused once the person corrects the form.
        return render(request, "report.html", optional_viewer(request), status_code=exc.status_code, form=form,
                      idempotency_key=form.idempotency_key, error=rejection_message(exc, "提交未成功"))
    return redirect(f"/report/filed?ticket={quote(ticket['id'])}")


@router.get("/report/filed")
def report_filed(request: Request, ticket: Annotated[str, Query(max_length=60)] = "") -> Response:
    """The number, big, to write down; only the number (from the address bar) is shown, nothing of the ticket."""
    number = ticket_number(ticket)
    if not TICKET_NUMBER.match(number):
        return redirect("/report")
    return render(request, "report_filed.html", optional_viewer(request), number=number)


@router.get("/follow")
def follow_form(request: Request, ticket: Annotated[str, Query(max_length=60)] = "") -> Response:
    return render(request, "follow.html", optional_viewer(request), ticket_id=ticket_number(ticket), error=None)


@router.post("/follow")
async def follow(request: Request, clients: BackendsDep, form: Posted[FollowForm]) -> Response:
    number = ticket_number(form.ticket_id)
    viewer = optional_viewer(request)

    def again(status_code: int, error: str) -> Response:
        return render(request, "follow.html", viewer, status_code=status_code, ticket_id=number, error=error)

    if not re.fullmatch(r"\d{4}", form.phone_last4):
        return again(422, FOLLOW_BAD_DIGITS)
    if not number:
        return again(422, "请输入工单编号。")
    try:
        ticket = await clients.call(
            "intake", "POST", f"/public/tickets/{quote(number, safe='')}/lookup", token=None,
            json={"phone_last4": form.phone_last4}, headers=forwarded_for(request),
        )
    except BackendRejected as exc:
        if exc.status_code == 404:
            return again(404, FOLLOW_NO_MATCH)  # the same words for an unknown number and wrong digits
        if exc.status_code == 429:
            return again(429, exc.message.removeprefix("phone_last4: "))
        if exc.status_code == 422:
            return again(422, FOLLOW_NO_MATCH if "ticket_id" in str(exc.detail) else FOLLOW_BAD_DIGITS)
        raise
    response = render(request, "follow_result.html", viewer, ticket=ticket)
    response.headers["Cache-Control"] = "no-store"
    return response
