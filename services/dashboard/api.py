"""Dashboard HTTP API: summaries with the three rates, rankings and escalated tickets, for the big screen."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from services.dashboard import commands
from services.dashboard.models import EscalatedTicket, Summary

router = APIRouter(tags=["dashboard"])

Viewer = Annotated[
    Principal, Depends(require("leader", "supervisor", "admin", "community_staff", "department_staff"))
]
Leadership = Annotated[Principal, Depends(require("leader", "supervisor", "admin"))]


@router.get("/summary", response_model=Summary, summary="Counts by status and the three rates for a scope")
def summary(
    principal: Viewer,
    runtime: RuntimeDep,
    scope: Annotated[
        str,
        Query(
            max_length=80,
            pattern=r"^(all|(community|department|category):[\w\-]+)$",
            description="all, community:<id>, department:<id> or category:<id>",
            examples=["all", "community:xinran"],
        ),
    ] = "all",
) -> Summary:
    commands.authorize_scope(principal, scope)
    with runtime.session() as session:
        return commands.summary(session, scope)


@router.get("/rankings", response_model=list[Summary], summary="Rankings by community, department or category")
def rankings(
    _principal: Leadership, runtime: RuntimeDep, by: Literal["community", "department", "category"] = "community"
) -> list[Summary]:
    with runtime.session() as session:
        return commands.ranking(session, by)


@router.get("/escalated", response_model=list[EscalatedTicket], summary="Open tickets currently escalated (督办)")
def escalated(
    principal: Viewer, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[EscalatedTicket]:
    with runtime.session() as session:
        return commands.escalated_tickets(session, principal=principal, limit=limit)
