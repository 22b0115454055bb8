"""Dispatch HTTP API, three routers: the community console (社区转哨), supervision (督办) and admin (系统设置)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from libs.auth import Principal, require
from libs.directory import Department, get_directory
from libs.runtime import RuntimeDep
from libs.runtime.listing import add_worklist_routes
from services.dispatch.commands import admin as admin_commands
from services.dispatch.commands import street
from services.dispatch.commands import supervision as supervision_commands
from services.dispatch.commands import triage
from services.dispatch.domain import ExtensionDecision
from services.dispatch.models import (
    AssignCommunityRequest,
    CalendarOverrides,
    CalendarPublic,
    DispatchExtension,
    DispatchRequest,
    DispatchTicket,
    DispatchTicketPublic,
    DuplicateHint,
    ExtensionPublic,
    GrantRequest,
    MergeRequest,
    RecategorizeRequest,
    RefuseRequest,
    ResumeRequest,
    SettleRequest,
    SlaPolicyPublic,
    SuspendRequest,
)

router = APIRouter(tags=["dispatch"])
supervision = APIRouter(tags=["supervision"])
admin = APIRouter(prefix="/admin", tags=["admin"])

Staff = Annotated[Principal, Depends(require("community_staff", "supervisor", "admin"))]
Viewer = Annotated[Principal, Depends(require("community_staff", "supervisor", "leader", "admin"))]
Merger = Annotated[Principal, Depends(require("community_staff", "supervisor"))]
Supervisor = Annotated[Principal, Depends(require("supervisor"))]
ExtensionDecider = Annotated[Principal, Depends(require("supervisor", "admin"))]
Admin = Annotated[Principal, Depends(require("admin"))]

POLICY_EXAMPLE: dict[str, Any] = {
    "version": 2,
    "warning_fraction": 0.8,
    "ladder": {"level2_after": {"amount": 1, "unit": "working_days"}, "level3_after": {"amount": 2, "unit": "working_days"}},
    "joint_on_site": {"amount": 3, "unit": "working_days"},
    "urgencies": {
        u: {
            "dispatch": {"amount": 2, "unit": "working_hours"},
            "accept": {"amount": 2, "unit": "working_hours"},
            "contact": {"amount": 1, "unit": "working_days"},
            "resolve": {"amount": 5, "unit": "working_days"},
            "rating": {"amount": 3, "unit": "days"},
        }
        for u in ("emergency", "urgent", "ordinary", "complex")
    },
}


def to_public(ticket: DispatchTicket) -> DispatchTicketPublic:
    return ticket.public(DispatchTicketPublic)


def extension_public(extension: DispatchExtension) -> ExtensionPublic:
    return ExtensionPublic(**extension.model_dump())


add_worklist_routes(
    router, "community", Viewer, DispatchTicketPublic, triage,
    ("The community's tickets (default: waiting for triage)", "One ticket in the community's view"),
)


@router.post("/tickets/{ticket_id}/dispatch", response_model=DispatchTicketPublic, summary="派单 / 改派 to a department")
def dispatch_ticket(ticket_id: str, body: DispatchRequest, principal: Staff, runtime: RuntimeDep) -> DispatchTicketPublic:
    return to_public(
        runtime.run(triage.dispatch_ticket, principal=principal, ticket_id=ticket_id, department_id=body.department_id, note=body.note)
    )


@router.post("/tickets/{ticket_id}/settle", response_model=DispatchTicketPublic, summary="即办: settle on the spot")
def settle_on_spot(ticket_id: str, body: SettleRequest, principal: Staff, runtime: RuntimeDep) -> DispatchTicketPublic:
    return to_public(runtime.run(triage.settle_on_spot, principal=principal, ticket_id=ticket_id, note=body.note))


@router.get("/departments", response_model=list[Department], summary="Departments a ticket can be dispatched to")
def departments(_principal: Viewer) -> list[Department]:
    return get_directory().departments


@router.post("/tickets/{ticket_id}/merge", response_model=DispatchTicketPublic, summary="合并: merge a duplicate into another ticket")
def merge_ticket(ticket_id: str, body: MergeRequest, principal: Merger, runtime: RuntimeDep) -> DispatchTicketPublic:
    return to_public(runtime.run(triage.merge_ticket, principal=principal, ticket_id=ticket_id, into_ticket_id=body.into_ticket_id))


@router.post(
    "/tickets/{ticket_id}/category",
    response_model=DispatchTicketPublic,
    summary="分类调整: change the category while the community holds the ticket; the proposed department follows",
    responses={409: {"description": "the ticket has left the community, or is already in that category"},
               422: {"description": "unknown category"}},
)
def recategorize_ticket(ticket_id: str, body: RecategorizeRequest, principal: Staff, runtime: RuntimeDep) -> DispatchTicketPublic:
    return to_public(
        runtime.run(triage.recategorize_ticket, principal=principal, ticket_id=ticket_id, category=body.category, note=body.note)
    )


@router.get(
    "/tickets/{ticket_id}/duplicates",
    response_model=list[DuplicateHint],
    summary="疑似重复: open tickets of the same category filed nearby shortly before; merge with POST .../merge",
)
def duplicate_hints(ticket_id: str, principal: Viewer, runtime: RuntimeDep) -> list[DuplicateHint]:
    return runtime.read(triage.duplicate_hints, principal=principal, ticket_id=ticket_id)


@router.get(
    "/duplicates",
    response_model=dict[str, list[DuplicateHint]],
    summary="疑似重复 of several tickets at once: ticket id → its hints (tickets without any are left out)",
)
def duplicate_hints_for(
    principal: Viewer,
    runtime: RuntimeDep,
    ticket_id: Annotated[list[str], Query(min_length=1, max_length=200, description="Repeat for each ticket")],
) -> dict[str, list[DuplicateHint]]:
    return runtime.read(triage.duplicate_hints_for, principal=principal, ticket_ids=ticket_id)


@supervision.post("/tickets/{ticket_id}/suspend", response_model=DispatchTicketPublic, summary="挂起: stop every deadline")
def suspend_ticket(ticket_id: str, body: SuspendRequest, principal: Supervisor, runtime: RuntimeDep) -> DispatchTicketPublic:
    return to_public(runtime.run(supervision_commands.suspend_ticket, principal=principal, ticket_id=ticket_id, reason=body.reason))


@supervision.post("/tickets/{ticket_id}/resume", response_model=DispatchTicketPublic, summary="恢复: deadlines run again")
def resume_ticket(
    ticket_id: str, principal: Supervisor, runtime: RuntimeDep, body: ResumeRequest | None = None
) -> DispatchTicketPublic:
    return to_public(
        runtime.run(
            supervision_commands.resume_ticket, principal=principal, ticket_id=ticket_id, note=body and body.note
        )
    )


@supervision.get(
    "/street-triage", response_model=list[DispatchTicketPublic], summary="街道分拨: tickets no community was found for"
)
def street_triage(
    principal: Supervisor,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DispatchTicketPublic]:
    with runtime.session() as session:
        return [to_public(t) for t in street.street_queue(session, principal=principal, limit=limit, offset=offset)]


@supervision.post(
    "/tickets/{ticket_id}/assign-community",
    response_model=DispatchTicketPublic,
    summary="街道分拨: assign a ticket of the street's triage queue to a community",
    responses={403: {"description": "not a supervisor of the ticket's street"}, 409: {"description": "already placed"}},
)
def assign_community(
    ticket_id: str, body: AssignCommunityRequest, principal: Supervisor, runtime: RuntimeDep
) -> DispatchTicketPublic:
    return to_public(
        runtime.run(
            street.assign_community, principal=principal, ticket_id=ticket_id, community_id=body.community_id,
            grid_id=body.grid_id, note=body.note,
        )
    )


@supervision.get("/extensions", response_model=list[ExtensionPublic], summary="延期申请 waiting for (or decided by) a supervisor")
def list_extensions(
    _principal: ExtensionDecider,
    runtime: RuntimeDep,
    status: Annotated[ExtensionDecision | None, Query(description="pending, granted or refused; default all")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ExtensionPublic]:
    with runtime.session() as session:
        found = supervision_commands.list_extensions(session, status=status.value if status else None, limit=limit, offset=offset)
        return [extension_public(e) for e in found]


@supervision.post(
    "/extensions/{request_event_id}/grant", response_model=ExtensionPublic, summary="批准延期 (default: the time asked for)"
)
def grant_extension(
    request_event_id: str, principal: ExtensionDecider, runtime: RuntimeDep, body: GrantRequest | None = None
) -> ExtensionPublic:
    return extension_public(
        runtime.run(
            supervision_commands.grant_extension, principal=principal, request_event_id=request_event_id, body=body or GrantRequest()
        )
    )


@supervision.post("/extensions/{request_event_id}/refuse", response_model=ExtensionPublic, summary="驳回延期: the deadline stays")
def refuse_extension(
    request_event_id: str, body: RefuseRequest, principal: ExtensionDecider, runtime: RuntimeDep
) -> ExtensionPublic:
    return extension_public(
        runtime.run(
            supervision_commands.refuse_extension, principal=principal, request_event_id=request_event_id, note=body.note
        )
    )


@admin.get("/sla-policy", response_model=SlaPolicyPublic, summary="The current SLA policy (latest published, else the file)")
def get_sla_policy(_principal: Admin, runtime: RuntimeDep) -> SlaPolicyPublic:
    return runtime.read(admin_commands.current_sla_policy)


@admin.put(
    "/sla-policy",
    response_model=SlaPolicyPublic,
    summary="Publish the next SLA policy version (version = current + 1); tickets filed from now on live by it",
    responses={409: {"description": "version is not current + 1"}, 422: {"description": "the document names a bad key"}},
)
def put_sla_policy(
    principal: Admin,
    runtime: RuntimeDep,
    document: Annotated[dict[str, Any], Body(description="The whole policy document", examples=[POLICY_EXAMPLE])],
) -> SlaPolicyPublic:
    return runtime.run(admin_commands.publish_sla_policy, principal=principal, document=document)


@admin.get("/calendar", response_model=CalendarPublic, summary="The admin's current calendar overrides")
def get_calendar(_principal: Admin, runtime: RuntimeDep) -> CalendarPublic:
    return runtime.read(admin_commands.current_calendar)


@admin.put("/calendar", response_model=CalendarPublic, summary="Replace the calendar overrides (holidays, 调休 workdays, removals)")
def put_calendar(body: CalendarOverrides, principal: Admin, runtime: RuntimeDep) -> CalendarPublic:
    return runtime.run(admin_commands.adjust_calendar, principal=principal, body=body)
