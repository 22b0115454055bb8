"""The buttons that act on one ticket, built once for every page: POST {page}/{ticket_id}/{action} with one form
(a forms.PageForm read with Form()), allowed to the page's roles, handed as `form.body()` to the backend's
POST /tickets/{ticket_id}/{action} with the viewer's token, then a redirect back with ?ok= naming the notice. A backend's
refusal becomes an error page, an invalid form the 422 page naming the field (views.install_error_pages).

No `from __future__ import annotations` here: FastAPI must see the real types of the closure's parameters."""
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from services.portal.forms import NoForm, PageForm, Posted
from services.portal.views import BackendsDep, redirect


@dataclass(frozen=True)
class TicketActions:
    router: APIRouter
    page: str  # where the forms are, e.g. "/worklist": each action's path starts with it
    service: str  # the backend that acts, e.g. "department"
    viewer: Any  # who may act: a views page dependency (WorklistPage); one action may name another
    back_to: str | None = None  # where the person goes afterwards ({ticket_id} is filled in); default: the page

    def add(self, action: str, model: type[PageForm] = NoForm, *, ok: str, viewer: Any = None) -> None:
        """POST {page}/{ticket_id}/{action}: `model` is the form it reads, `ok` the notice shown afterwards."""
        service, back_to, allowed = self.service, self.back_to or self.page, viewer or self.viewer

        async def act(ticket_id: str, viewer: allowed, clients: BackendsDep, form: Posted[model]) -> Response:
            path = f"/tickets/{quote(ticket_id)}/{action}"
            await clients.call(service, "POST", path, token=viewer.token, json=form.body())
            return redirect(form.landing(back_to.format(ticket_id=quote(ticket_id)), ok))

        name = f"{self.page.strip('/')}_{action}"
        self.router.add_api_route(f"{self.page}/{{ticket_id}}/{action}", act, methods=["POST"], name=name)
