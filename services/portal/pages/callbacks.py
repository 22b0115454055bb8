"""回访: the community's tickets whose rating window passed unrated. Staff reveal the number (recorded by intake),
call, and record the answer: answered with the resident's verdict (nothing preselected), or not answered (after the
configured number of unanswered calls the ticket closes unrated). A supervisor sees their street's communities' queue."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field, model_validator

from services.portal.actions import TicketActions
from services.portal.forms import OptionalText, PageForm
from services.portal.labels import SATISFACTION_CHOICES
from services.portal.pages.contact import reveal_number
from services.portal.views import BackendsDep, Viewer, page_for, render

router = APIRouter(default_response_class=HTMLResponse)

CALLBACK_ROLES = ("community_staff", "supervisor")
CallbackPage = Annotated[Viewer, Depends(page_for(*CALLBACK_ROLES))]
CommunityStaff = Annotated[Viewer, Depends(page_for("community_staff"))]


class CallbackForm(PageForm):
    """One call. 接通情况 must be chosen; an answered call needs the resident's 满意度 and 是否解决."""

    reached: str = Field(pattern="^(yes|no)$", description="接通情况")
    satisfaction: str | None = Field(None, pattern="^(satisfied|basically_satisfied|unsatisfied)$")
    solved: str | None = Field(None, pattern="^(yes|no)$")
    comment: OptionalText = Field(None, max_length=500)

    @model_validator(mode="after")
    def _verdict_when_answered(self) -> "CallbackForm":
        if self.reached == "yes" and self.satisfaction is None:
            raise ValueError("满意度：接通后请选择居民的满意度")
        if self.reached == "yes" and self.solved is None:
            raise ValueError("是否解决：接通后请选择问题是否解决")
        return self

    def body(self) -> dict[str, Any]:
        if self.reached == "no":
            return {"reached": False, "comment": self.comment}
        return {"reached": True, "satisfaction": self.satisfaction, "solved": self.solved == "yes", "comment": self.comment}


@router.get("/callbacks")
async def callbacks(request: Request, viewer: CallbackPage, clients: BackendsDep) -> Response:
    queue = await clients.call("feedback", "GET", "/callbacks", token=viewer.token, params={"limit": 200})
    return render(request, "callbacks.html", viewer, tickets=queue, choices=SATISFACTION_CHOICES)


@router.post("/callbacks/{ticket_id}/reveal")
async def reveal(request: Request, ticket_id: str, viewer: CommunityStaff, clients: BackendsDep) -> Response:
    return await reveal_number(request, viewer, clients, ticket_id, "/callbacks")


calls = TicketActions(router, "/callbacks", "feedback", CallbackPage)
calls.add("callback", CallbackForm, ok="called")  # POST /callbacks/{id}/callback → feedback's /tickets/{id}/callback
