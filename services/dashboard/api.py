"""Dashboard HTTP API: summaries with the three rates, rankings and escalated tickets, for the big screen."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from services.dashboard import commands
from services.dashboard.models import EscalatedTicket, OverdueDigestPublic, RankingSnapshotPublic, Summary

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
            description="all, community:<id>, triage:<street> (the street's 街道分拨 queue), department:<id> or category:<id>",
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


def _real_date(value: str, fmt: str, field: str) -> str:
    """The pattern checks the shape; this refuses month 13 or February 30 with a 422 naming the field."""
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        raise HTTPException(422, detail=f"{field}: {value!r} is not a real date ({fmt.replace('%', '')})") from None
    return value


def _month(month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM", examples=["2026-11"])]) -> str:
    return _real_date(month, "%Y-%m", "month")


def _day(day: Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD", examples=["2026-11-26"])]) -> str:
    return _real_date(day, "%Y-%m-%d", "day")


Month = Annotated[str, Depends(_month)]
Day = Annotated[str, Depends(_day)]


@router.get("/rankings/history", response_model=list[RankingSnapshotPublic], summary="Monthly ranking snapshots (月度排名)")
def ranking_history(_principal: Leadership, runtime: RuntimeDep, month: Month) -> list[RankingSnapshotPublic]:
    with runtime.session() as session:
        return commands.ranking_history(session, month)


@router.get("/digests", response_model=list[OverdueDigestPublic], summary="The day's overdue digests (每日督办清单)")
def digests(principal: Viewer, runtime: RuntimeDep, day: Day) -> list[OverdueDigestPublic]:
    with runtime.session() as session:
        return commands.digests(session, principal=principal, day=day)
