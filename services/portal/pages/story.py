"""一件诉求的全过程 for staff (/staff/tickets/{id}): every event of the ticket from intake's story, the facts a handler
looks for first, and a note marked 内部 or 公开. Community staff of its community, the departments that held it, the
street's supervisors and leaders and admins read it (intake decides; anyone else gets 未找到该诉求); residents and
grid workers keep their own ticket page."""
from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from services.portal.clients import BackendRejected
from services.portal.forms import PageForm, Posted
from services.portal.story import NOTE_CHOICES, VISIBILITY_LABELS, actor_names, highlights, story_lines
from services.portal.views import BackendsDep, Viewer, page_for, redirect, rejection_message, render

router = APIRouter(default_response_class=HTMLResponse)

STORY_ROLES = ("community_staff", "department_staff", "supervisor", "leader", "admin")
StoryPage = Annotated[Viewer, Depends(page_for(*STORY_ROLES))]
# Where each role's 返回 goes.
BACK_TO = {"community_staff": ("/console", "社区转哨"), "department_staff": ("/worklist", "部门办哨"),
           "supervisor": ("/supervision", "督办"), "leader": ("/dashboard", "数据大屏"), "admin": ("/console", "社区转哨")}


class StoryNoteForm(PageForm):
    """A note on the story: read leniently, so a missing choice is named beside the form rather than on an error page."""

    note: str = Field("", max_length=4000)
    visibility: str = Field("", max_length=20)

    def problem(self) -> str | None:
        if not self.note.strip():
            return "备注内容：必填"
        if len(self.note.strip()) > 1000:
            return "备注内容：最多 1000 个字"
        if self.visibility not in dict(NOTE_CHOICES):
            return "公开范围：请选择“内部”或“公开”"
        return None

    def body(self) -> dict[str, Any]:
        return {"text": self.note.strip(), "visibility": self.visibility}


async def _page(
    request: Request, viewer: Viewer, clients: BackendsDep, ticket_id: str, *, status_code: int = 200,
    form: StoryNoteForm | None = None, error: str | None = None,
) -> Response:
    story = await clients.call("intake", "GET", f"/tickets/{quote(ticket_id)}/story", token=viewer.token)
    names = await actor_names(request.app.state.users, story["story"])
    return render(
        request, "story.html", viewer, status_code=status_code, t=story, lines=story_lines(story["story"], names),
        facts=highlights(story["story"], names), visibility_labels=VISIBILITY_LABELS, note_choices=NOTE_CHOICES,
        back=BACK_TO.get(viewer.role, ("/", "首页")), form=form or StoryNoteForm(), note_error=error,
    )


@router.get("/staff/tickets/{ticket_id}")
async def staff_ticket(request: Request, ticket_id: str, viewer: StoryPage, clients: BackendsDep) -> Response:
    return await _page(request, viewer, clients, ticket_id)


@router.post("/staff/tickets/{ticket_id}/notes")
async def add_note(
    request: Request, ticket_id: str, viewer: StoryPage, clients: BackendsDep, form: Posted[StoryNoteForm]
) -> Response:
    problem, status_code = form.problem(), 422
    if problem is None:
        try:
            await clients.call("intake", "POST", f"/tickets/{quote(ticket_id)}/notes", token=viewer.token, json=form.body())
        except BackendRejected as exc:
            if exc.status_code in (403, 404):
                raise  # not this person's ticket: the error page says so
            closed = "操作与当前状态冲突：该诉求已关闭或已合并，不能再写备注。"
            problem = closed if exc.status_code == 409 else rejection_message(exc, "备注未保存")
            status_code = exc.status_code
        else:
            return redirect(f"/staff/tickets/{quote(ticket_id)}?ok=noted#story")
    return await _page(request, viewer, clients, ticket_id, status_code=status_code, form=form, error=problem)
