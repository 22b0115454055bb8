"""吹哨报到 for departments: my department's summons tasks (on top of the worklist, with the countdown), 到场报到 and
任务完成. Only department staff act, each for their own department."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.errors import STATE_REFUSED
from libs.runtime.listing import Page
from services.department import summons
from services.department.summons_models import CheckInRequest, CompleteRequest, SummonsTaskPublic

router = APIRouter(tags=["summons"])
Staff = Annotated[Principal, Depends(require("department_staff"))]
NOT_SUMMONED = {404: {"description": "my department was not summoned by this summons (another department's task)"}}


@router.get("/summons", response_model=list[SummonsTaskPublic], summary="吹哨报到: my department's summons tasks, most urgent first")
def list_summons(
    principal: Staff, runtime: RuntimeDep, page: Page,
    open: Annotated[bool, Query(description="only tasks still to do (default); false: every task, ended ones last")] = True,
) -> list[SummonsTaskPublic]:
    found = runtime.read(summons.list_tasks, principal=principal, open_only=open, limit=page.limit, offset=page.offset)
    return [summons.to_public(t) for t in found]


@router.get("/summons/{summons_id}", response_model=SummonsTaskPublic, summary="My department's task of one summons", responses=NOT_SUMMONED)
def get_summons(summons_id: str, principal: Staff, runtime: RuntimeDep) -> SummonsTaskPublic:
    return summons.to_public(runtime.read(summons.get_task, principal=principal, summons_id=summons_id))


@router.post(
    "/summons/{summons_id}/check-in", response_model=SummonsTaskPublic, responses={**STATE_REFUSED, **NOT_SUMMONED},
    summary="到场报到: check in on site with the device's position (or a note without one); late past the due time or the radius",
)
def check_in(summons_id: str, body: CheckInRequest, principal: Staff, runtime: RuntimeDep) -> SummonsTaskPublic:
    return summons.to_public(runtime.run(summons.check_in, principal=principal, summons_id=summons_id, **body.model_dump()))


@router.post(
    "/summons/{summons_id}/complete", response_model=SummonsTaskPublic, responses={**STATE_REFUSED, **NOT_SUMMONED},
    summary="任务完成: a co-department's task is done (after its check-in); the lead completes by resolving the ticket",
)
def complete(summons_id: str, body: CompleteRequest, principal: Staff, runtime: RuntimeDep) -> SummonsTaskPublic:
    return summons.to_public(runtime.run(summons.complete_task, principal=principal, summons_id=summons_id, note=body.note))
