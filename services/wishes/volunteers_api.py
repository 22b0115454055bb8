"""在职党员回社区报到 over HTTP: a volunteer registers, the home community confirms."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.errors import STATE_REFUSED
from services.wishes import volunteers
from services.wishes.models import VolunteerPublic, VolunteerRequest

router = APIRouter(tags=["volunteers"])

Volunteer = Annotated[Principal, Depends(require("volunteer"))]
Staff = Annotated[Principal, Depends(require("community_staff", "supervisor", "admin"))]


def _public(row) -> VolunteerPublic:  # noqa: ANN001
    return VolunteerPublic(**row.model_dump(include=set(VolunteerPublic.model_fields)))


@router.put("/volunteers/me", response_model=VolunteerPublic, summary="报到: register (or update) with a home community")
def register(body: VolunteerRequest, principal: Volunteer, runtime: RuntimeDep) -> VolunteerPublic:
    return _public(runtime.run(volunteers.register, principal=principal, body=body))


@router.get("/volunteers/me", response_model=VolunteerPublic, summary="My registration",
            responses={404: {"description": "not registered yet (您还没有到社区报到)"}})
def me(principal: Volunteer, runtime: RuntimeDep) -> VolunteerPublic:
    return _public(runtime.read(volunteers.me, principal=principal))


@router.get("/communities/{community_id}/volunteers", response_model=list[VolunteerPublic], summary="The community's volunteers")
def of_community(
    community_id: str, principal: Staff, runtime: RuntimeDep,
    status: Annotated[str | None, Query(pattern="^(pending|confirmed)$")] = None,
) -> list[VolunteerPublic]:
    rows = runtime.read(volunteers.of_community, principal=principal, community_id=community_id, status=status)
    return [_public(r) for r in rows]


@router.post(
    "/volunteers/{volunteer_id}/confirm", response_model=VolunteerPublic, summary="报到确认 by the home community",
    responses=STATE_REFUSED,
)
def confirm(volunteer_id: str, principal: Staff, runtime: RuntimeDep) -> VolunteerPublic:
    return _public(runtime.run(volunteers.confirm, principal=principal, volunteer_id=volunteer_id))
