"""A ticket's whole story for staff (GET /tickets/{id}/story) and their notes on it (POST /tickets/{id}/notes)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from services.intake import story
from services.intake.models import NoteCreate, StoryEntry, TicketStory

router = APIRouter(prefix="/tickets", tags=["story"])

Staff = Annotated[Principal, Depends(require(*story.STAFF_ROLES))]
_NOT_YOURS = {
    404: {
        "description": "No such ticket, or not one the caller may read (another community's or department's, another "
                       "street's): one answer, so the route reveals no ticket",
        "content": {"application/json": {"example": {"detail": "ticket 'T20261127-0A1B2C3D' not found"}}},
    },
}


@router.get(
    "/{ticket_id}/story", response_model=TicketStory, responses=_NOT_YOURS,
    summary="A ticket's whole story for staff: every event (who, when, note, photos, deadlines, 催办/督办), internal "
            "notes too, tickets merged into it and every department that held it",
)
def get_story(ticket_id: str, principal: Staff, runtime: RuntimeDep) -> TicketStory:
    return runtime.read(story.story, principal=principal, ticket_id=ticket_id)


@router.post(
    "/{ticket_id}/notes", response_model=StoryEntry, status_code=201,
    responses={**_NOT_YOURS, 409: {"description": "The ticket is closed, or merged into another (write the note there)"}},
    summary="Add a note to the ticket's story: internal 内部 (staff only) or public 公开 (the resident reads it too)",
)
def add_note(ticket_id: str, body: NoteCreate, principal: Staff, runtime: RuntimeDep) -> StoryEntry:
    event = runtime.run(story.add_note, principal=principal, ticket_id=ticket_id, body=body)
    return StoryEntry(
        event_type=event.type, occurred_at=event.occurred_at, note=event.text, department_id=event.department_id,
        visibility=story.visibility(event), actor_role=event.actor.role, actor_id=event.actor.id,
    )
