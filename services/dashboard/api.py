"""Dashboard HTTP API for the big screen: a scope's figures over a period with 环比/同比, rankings, trend lines, the
grid map, the tickets behind a figure, overdue and escalated lists, the rate definitions and the score weights. Who sees
what: access.py."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.documents import add_versioned_document_routes
from services.dashboard import commands, queries, weights
from services.dashboard.access import Visibility, visibility
from services.dashboard.models import (
    EscalatedTicket,
    OverdueDigestPublic,
    RankingRow,
    RankingSnapshotPublic,
    Summary,
    TicketRow,
)
from services.dashboard.periods import KINDS, Period, PeriodError, parse_period
from services.dashboard.rates import DEFINITIONS

router = APIRouter(tags=["dashboard"])

Viewer = Annotated[
    Principal, Depends(require("leader", "supervisor", "admin", "community_staff", "department_staff"))
]
Leadership = Annotated[Principal, Depends(require("leader", "supervisor", "admin"))]
Admin = Annotated[Principal, Depends(require("admin"))]
SCOPE_PATTERN = r"^(all|(community|triage|department|category|grid|channel|kind|place):[\w\-/@.,]+)$"
Flag = Literal["all", "open", "overdue", "escalated", "handled", "unhandled"]
Dimension = Literal["community", "grid", "department", "category", "channel", "kind"]


def _period(
    period: Annotated[str, Query(description=f"one of {', '.join(KINDS)}; all: every day (the default)", examples=["month"])] = "all",
    date: Annotated[str | None, Query(max_length=10, description="any day inside the period (YYYY-MM-DD, Beijing); default today")] = None,
    start: Annotated[str | None, Query(max_length=10, description="period=custom: first day")] = None,
    end: Annotated[str | None, Query(max_length=10, description="period=custom: last day")] = None,
) -> Period:
    try:
        return parse_period(period, date, start, end)
    except PeriodError as exc:
        raise HTTPException(422, detail=str(exc)) from None


PeriodDep = Annotated[Period, Depends(_period)]
ScopeQuery = Annotated[
    str | None,
    Query(max_length=80, pattern=SCOPE_PATTERN, examples=["all", "community:xinran", "department:urban"],
          description="all, community:<id>, triage:<street>, department:<id>, category:<id>, grid:<id>, channel:<c>, "
                      "kind:<k>, place:<key>; default: all for leadership, your own community or department for staff"),
]


def _scope(principal: Principal, scope: str | None) -> tuple[Visibility, str]:
    vis = visibility(principal)
    chosen = scope or (vis.own_scope if not vis.everything else "all") or "all"
    vis.check(chosen)
    return vis, chosen


@router.get("/summary", response_model=Summary, summary="A scope's figures and rates over a period, with 环比 and 同比")
def summary(principal: Viewer, runtime: RuntimeDep, period: PeriodDep, scope: ScopeQuery = None) -> Summary:
    _, chosen = _scope(principal, scope)
    with runtime.session() as session:
        return queries.summary(session, chosen, period, weights.current_weights(session))


@router.get("/rankings", response_model=list[RankingRow], summary="Rankings by composite score, with the rank change from the previous period")
def rankings(principal: Viewer, runtime: RuntimeDep, period: PeriodDep, by: Dimension = "community") -> list[RankingRow]:
    with runtime.session() as session:
        return queries.ranking(session, by, period, visibility(principal), weights.current_weights(session))


@router.get("/trend", summary="Trend line: per day (up to 62 days) or per month, tickets and rates")
def trend(principal: Viewer, runtime: RuntimeDep, period: PeriodDep, scope: ScopeQuery = None) -> list[dict[str, Any]]:
    _, chosen = _scope(principal, scope)
    with runtime.session() as session:
        return queries.trend(session, chosen, period, weights.current_weights(session))


@router.get("/map", summary="Open tickets now per grid (the map's colours)")
def grid_map(principal: Viewer, runtime: RuntimeDep) -> list[dict[str, Any]]:
    with runtime.session() as session:
        return queries.grid_map(session, visibility(principal))


@router.get("/tickets", response_model=list[TicketRow], summary="The tickets behind a figure (drill-down)")
def tickets(
    principal: Viewer,
    runtime: RuntimeDep,
    scope: ScopeQuery = None,
    flag: Annotated[Flag, Query(description="all, open, overdue (ever), escalated (督办 now), handled, unhandled")] = "all",
    period: Annotated[str | None, Query(description="leave out for every period")] = None,
    date: Annotated[str | None, Query(max_length=10)] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[TicketRow]:
    vis = visibility(principal)
    chosen = _period(period, date, start, end) if period else None
    with runtime.session() as session:
        return queries.tickets(session, vis, scope=scope or "all", period=chosen, flag=flag, limit=limit, offset=offset)


@router.get("/escalated", response_model=list[EscalatedTicket], summary="Open tickets currently escalated (督办)")
def escalated(principal: Viewer, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[EscalatedTicket]:
    with runtime.session() as session:
        return queries.escalated_tickets(session, visibility(principal), limit=limit)


@router.get("/overdue", response_model=list[TicketRow], summary="Open tickets past a running deadline now (超期)")
def overdue(principal: Viewer, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[TicketRow]:
    with runtime.session() as session:
        return queries.overdue_tickets(session, visibility(principal), limit=limit)


@router.get("/definitions", summary="What each rate means (shown on the page), and the score weights in force")
def definitions(_principal: Viewer, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.session() as session:
        current = weights.current_weights(session)
    return {
        "rates": [{"key": k, "name": n, "area": a, "department": d} for k, (n, a, d) in DEFINITIONS.items()],
        "weights": current,
        "counting": "按受理日统计：一个周期的数字是该周期内受理的诉求（部门为该周期内派到部门的派单）目前的办理结果；"
                    "日期按北京时间。未评价和回访未接通单列，从不计为满意。",
    }


add_versioned_document_routes(
    router, "/admin/score-weights", Admin, weights.WeightsPublic, weights.current_public, weights.publish,
    names=("get_score_weights", "put_score_weights"),
    summaries=("综合得分权重: the weights in force", "Publish the next version of the composite score's weights"),
    body_description="The whole document; `version` must be the current version + 1; the three weights add up to 100",
    example={"version": 2, "response": 30, "resolution": 35, "satisfaction": 35},
)


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
