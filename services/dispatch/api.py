"""Dispatch HTTP API, three routers: the community console (社区转哨), supervision (督办) and admin (系统设置)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.directory import Department, get_directory
from libs.runtime import RuntimeDep
from libs.runtime.errors import STATE_REFUSED
from libs.runtime.documents import add_versioned_document_routes
from libs.runtime.listing import Page, TicketActions, add_worklist_routes
from services.dispatch.commands import admin as admin_commands
from services.dispatch.commands import hazard
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
    ("The community's tickets: tabs 待转哨 (default) / 办理中 / 办结 / 已退单 / 全部, filters, search, sort", "One ticket in the community's view"),
    tabs=tuple(triage.CONSOLE.tabs),
)


triage_actions = TicketActions(router, Staff, DispatchTicketPublic)
triage_actions.add("dispatch", triage.dispatch_ticket, DispatchRequest, summary="派单 / 改派 to a department")
triage_actions.add("settle", triage.settle_on_spot, SettleRequest, summary="即办: settle on the spot")
triage_actions.add(
    "verify-hazard", hazard.verify_hazard, hazard.HazardRequest | None, name="verify_hazard",
    summary="确认隐患: a 隐患随手拍 is real (once); the reporter earns points (HazardVerified)",
)


@router.get(
    "/departments", response_model=list[Department],
    summary="Departments a ticket can be dispatched to: the district's and the caller's street's own (every one for district roles)",
)
def departments(principal: Viewer) -> list[Department]:
    directory = get_directory()
    if principal.role == "community_staff":
        return directory.departments_for(principal.community_id)
    if principal.role == "supervisor":
        return [d for d in directory.departments if d.street in (None, principal.street_id)]
    return directory.departments


triage_actions.add("merge", triage.merge_ticket, MergeRequest, summary="合并: merge a duplicate into another ticket", allowed=Merger)
triage_actions.add(
    "category", triage.recategorize_ticket, RecategorizeRequest,
    summary="分类调整: change the category while the community holds the ticket; the proposed department follows",
    responses={409: {"description": "the ticket has left the community, or is already in that category"},
               422: {"description": "unknown category"}},
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
    responses={404: {"description": "one of the tickets does not exist or is outside your scope"}},
)
def duplicate_hints_for(
    principal: Viewer,
    runtime: RuntimeDep,
    ticket_id: Annotated[list[str], Query(min_length=1, max_length=200, description="Repeat for each ticket")],
) -> dict[str, list[DuplicateHint]]:
    return runtime.read(triage.duplicate_hints_for, principal=principal, ticket_ids=ticket_id)


supervision_actions = TicketActions(supervision, Supervisor, DispatchTicketPublic)
supervision_actions.add("suspend", supervision_commands.suspend_ticket, SuspendRequest, summary="挂起: stop every deadline")
supervision_actions.add("resume", supervision_commands.resume_ticket, ResumeRequest | None, summary="恢复: deadlines run again")


@supervision.get(
    "/street-triage", response_model=list[DispatchTicketPublic], summary="街道分拨: tickets no community was found for"
)
def street_triage(principal: Supervisor, runtime: RuntimeDep, page: Page) -> list[DispatchTicketPublic]:
    with runtime.session() as session:
        return [to_public(t) for t in street.street_queue(session, principal=principal, limit=page.limit, offset=page.offset)]


supervision_actions.add(
    "assign-community", street.assign_community, AssignCommunityRequest,
    summary="街道分拨: assign a ticket of the street's triage queue to a community",
    responses={403: {"description": "not a supervisor of the ticket's street"}, 409: {"description": "already placed"}},
)


@supervision.get("/extensions", response_model=list[ExtensionPublic], summary="延期申请 waiting for (or decided by) a supervisor")
def list_extensions(
    principal: ExtensionDecider,
    runtime: RuntimeDep,
    page: Page,
    status: Annotated[ExtensionDecision | None, Query(description="pending, granted or refused; default all")] = None,
) -> list[ExtensionPublic]:
    with runtime.session() as session:
        found = supervision_commands.list_extensions(
            session, principal=principal, status=status.value if status else None, limit=page.limit, offset=page.offset
        )
        return [extension_public(e) for e in found]


@supervision.post(
    "/extensions/{request_event_id}/grant", response_model=ExtensionPublic, summary="批准延期 (default: the time asked for)",
    responses=STATE_REFUSED,
)
def grant_extension(
    request_event_id: str, principal: ExtensionDecider, runtime: RuntimeDep, body: GrantRequest | None = None
) -> ExtensionPublic:
    return extension_public(
        runtime.run(
            supervision_commands.grant_extension, principal=principal, request_event_id=request_event_id, body=body or GrantRequest()
        )
    )


@supervision.post(
    "/extensions/{request_event_id}/refuse", response_model=ExtensionPublic, summary="驳回延期: the deadline stays",
    responses=STATE_REFUSED,
)
def refuse_extension(
    request_event_id: str, body: RefuseRequest, principal: ExtensionDecider, runtime: RuntimeDep
) -> ExtensionPublic:
    return extension_public(
        runtime.run(
            supervision_commands.refuse_extension, principal=principal, request_event_id=request_event_id, note=body.note
        )
    )


add_versioned_document_routes(
    admin, "/sla-policy", Admin, SlaPolicyPublic, admin_commands.current_sla_policy, admin_commands.publish_sla_policy,
    names=("get_sla_policy", "put_sla_policy"),
    summaries=(
        "The current SLA policy (latest published, else the file)",
        "Publish the next SLA policy version (version = current + 1); tickets filed from now on live by it",
    ),
    body_description="The whole policy document",
    example=POLICY_EXAMPLE,
)


@admin.get("/calendar", response_model=CalendarPublic, summary="The admin's current calendar overrides")
def get_calendar(_principal: Admin, runtime: RuntimeDep) -> CalendarPublic:
    return runtime.read(admin_commands.current_calendar)


@admin.put("/calendar", response_model=CalendarPublic, summary="Replace the calendar overrides (holidays, 调休 workdays, removals)")
def put_calendar(body: CalendarOverrides, principal: Admin, runtime: RuntimeDep) -> CalendarPublic:
    return runtime.run(admin_commands.adjust_calendar, principal=principal, body=body)
