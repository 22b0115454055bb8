"""Dashboard HTTP API, continued: hot issues (未诉先办), repeated places, topics of the month (每月一题) and exports of
every table as CSV or xlsx. Hot issues and topics are for leadership; an export answers only what its table's query
answers the caller (access.py)."""
from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, Field

from libs.runtime import RuntimeDep
from services.dashboard import export, hot, queries, weights
from services.dashboard.access import visibility
from services.dashboard.api import Dimension, Flag, Leadership, PeriodDep, ScopeQuery, Viewer, _scope
from services.dashboard.names import DIMENSIONS

router = APIRouter(tags=["dashboard"])
def _seven_or_thirty(value: int) -> int:
    if value not in (7, 30):
        raise ValueError("window: 只能是 7 或 30（天）")
    return value


# An int checked after parsing: a Literal[7, 30] refuses the query string "7" (pydantic compares it strictly).
Window = Annotated[int, AfterValidator(_seven_or_thirty),
                   Query(description="the window: the last 7 or 30 days (Beijing), ending today", examples=[30])]


@router.get("/hot", response_model=list[hot.HotIssue], summary="Hot issues: categories and places far above their trailing 12 weeks")
def hot_issues(principal: Leadership, runtime: RuntimeDep, window: Window = 30) -> list[hot.HotIssue]:
    seen = visibility(principal)
    seen.require_everything("hot")
    return [h for h in runtime.read(hot.hot_issues, window_days=window) if seen.may_read(h.scope)]


@router.get("/hot/method", summary="How hot issues are found (shown on the page)")
def hot_method(_principal: Leadership) -> dict[str, str | int | float]:
    return {"method": hot.METHOD, "baseline_days": hot.BASELINE_DAYS, "min_count": hot.MIN_COUNT, "p_threshold": hot.P_THRESHOLD}


@router.get("/repeated", response_model=list[hot.RepeatedPlace], summary="Places (小区) with repeated tickets in the last 30 days")
def repeated(principal: Leadership, runtime: RuntimeDep) -> list[hot.RepeatedPlace]:
    return runtime.read(hot.repeated_places)


class NewTopic(BaseModel):
    scope: str = Field(max_length=80, pattern=r"^(category|community|grid|place):[\w\-/@.,]+$", examples=["category:road"])
    window_days: Literal[7, 30] = 30
    title: str | None = Field(default=None, max_length=80)


class ClosingTopic(BaseModel):
    note: str = Field(min_length=1, max_length=500, examples=["路面已全部修复，回访群众满意"])


@router.get("/topics", response_model=list[hot.TopicPublic], summary="Topics of the month (每月一题) and how far they are")
def topics(principal: Leadership, runtime: RuntimeDep,
           month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])] = None) -> list[hot.TopicPublic]:
    seen = visibility(principal)
    return [t for t in runtime.read(hot.list_topics, month=month) if seen.may_read(t.scope)]


@router.post("/topics", response_model=hot.TopicPublic, status_code=201, summary="Make a hot issue this month's topic",
             responses={409: {"description": "already this month's topic"}})
def create_topic(principal: Leadership, runtime: RuntimeDep, body: Annotated[NewTopic, Body()]) -> hot.TopicPublic:
    visibility(principal).check(body.scope)
    return runtime.run(hot.create_topic, principal=principal, scope=body.scope, window_days=body.window_days, title=body.title)


@router.post("/topics/{topic_id}/close", response_model=hot.TopicPublic, summary="Close a topic of the month with how it ended",
             responses={409: {"description": "already closed"}})
def close_topic(topic_id: str, principal: Leadership, runtime: RuntimeDep, body: Annotated[ClosingTopic, Body()]) -> hot.TopicPublic:
    return runtime.run(hot.close_topic, principal=principal, topic_id=topic_id, note=body.note)


ExportTable = Literal["summary", "rankings", "trend", "escalated", "overdue", "tickets", "hot", "repeated"]
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get(
    "/export/{table}", summary="Any dashboard table as CSV or xlsx",
    responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}, "description": "the file"}},
)
def export_table(
    table: ExportTable,
    principal: Viewer,
    runtime: RuntimeDep,
    period: PeriodDep,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")] = "xlsx",
    scope: ScopeQuery = None,
    by: Dimension = "community",
    flag: Flag = "all",
    window: Window = 30,
) -> Response:
    vis = visibility(principal)
    with runtime.session() as session:
        current = weights.current_weights(session)
        if table == "summary":
            _, chosen = _scope(principal, scope)
            built = export.summary_table(queries.summary(session, chosen, period, current))
        elif table == "rankings":
            built = export.ranking_table(queries.ranking(session, by, period, vis, current), by, f"{DIMENSIONS[by]} {period.label}")
        elif table == "trend":
            _, chosen = _scope(principal, scope)
            built = export.trend_table(queries.trend(session, chosen, period, current), chosen)
        elif table == "escalated":
            built = export.tickets_table(queries.escalated_tickets(session, vis, limit=500), "督办中的诉求")
        elif table == "overdue":
            built = export.tickets_table(queries.overdue_tickets(session, vis, limit=500), "超期未办结的诉求")
        elif table == "tickets":
            rows = queries.tickets(session, vis, scope=scope or "all", period=period, flag=flag, limit=500)
            built = export.tickets_table(rows, f"诉求清单 {period.label}")
        else:
            vis.require_everything(table)
            built = (export.hot_table(hot.hot_issues(session, window_days=window), window) if table == "hot"
                     else export.repeated_table(hot.repeated_places(session)))
    body = export.to_csv(built) if format == "csv" else export.to_xlsx(built)
    filename = f"{built[0]}.{format}"
    return Response(body, media_type=MEDIA[format], headers={
        "Content-Disposition": f"attachment; filename=\"dashboard-{table}.{format}\"; filename*=UTF-8''{quote(filename)}",
    })
