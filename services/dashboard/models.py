"""Dashboard read models: per-ticket facts and pre-aggregated counters (never scan tickets for a rate)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, text
from sqlmodel import JSON, Field, SQLModel

from libs.ticket.table import TicketViewColumns
from services.dashboard.rates import Rates


class DashboardTicket(TicketViewColumns, table=True):
    __tablename__ = "dashboard_ticket"
    __table_args__ = (  # what bench/dashboard.py's profile asked for at 1,000,000 tickets
        Index("ix_dashboard_ticket_department_grid", "department_id", "grid_id"),  # a department's grids on the map
        Index("ix_dashboard_ticket_place_filed", "place", "filed_at"),  # a repeated place's latest tickets
        Index("ix_dashboard_ticket_filed_place", "filed_at", postgresql_include=["place", "category", "status"],
              postgresql_where=text("place IS NOT NULL")),  # repeated places: counted from the index alone
    )

    community_id: str = Field(max_length=40, index=True)
    category: str = Field(max_length=40)
    urgency: str = Field(max_length=20)
    title: str = Field(max_length=80)
    department_id: str | None = Field(default=None, max_length=40, index=True)
    grid_id: str | None = Field(default=None, max_length=40, index=True)
    channel: str = Field(default="web", max_length=20)
    kind: str = Field(default="problem", max_length=20)
    place: str | None = Field(default=None, max_length=60, index=True)  # 小区 or ~200 m cell (hot.py)
    responded: bool = False
    handled: bool = False
    overdue: bool = False  # ever past a stage deadline (督办)
    # What this ticket has added to its area scopes' figures (metric -> count, status counts aside): when the ticket
    # changes place or category (分类调整, 街道分拨) these move with it, so every area counts only the tickets it holds.
    counted: dict[str, int] | None = Field(default_factory=dict, sa_type=JSON)
    facts: dict[str, Any] | None = Field(default_factory=dict, sa_type=JSON)  # domain.TicketFacts (departments...)
    filed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DashboardDaily(SQLModel, table=True):
    """One figure of one scope on one Beijing day, e.g. ("community:xinran", "responded", 2026-11-30) = 4: a period
    is a sum over these rows (see rates.py for how a ticket is counted)."""

    __tablename__ = "dashboard_daily"
    __table_args__ = (  # a period's sums read from the index alone: by scope (summary, rankings), by metric (hot issues)
        Index("ix_dashboard_daily_scope_day", "scope", "day", postgresql_include=["metric", "value"]),
        Index("ix_dashboard_daily_metric_day", "metric", "day", postgresql_include=["scope", "value"]),
    )

    scope: str = Field(primary_key=True, max_length=80)
    metric: str = Field(primary_key=True, max_length=40)
    day: date = Field(sa_column=Column(Date, primary_key=True, index=True))
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class DashboardCounter(SQLModel, table=True):
    """Tickets by status now, per scope (("grid:xr-01", "status:accepted") = 3): open work, the map's colours."""

    __tablename__ = "dashboard_counter"

    scope: str = Field(primary_key=True, max_length=80)
    metric: str = Field(primary_key=True, max_length=60)
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class ReportRow(SQLModel):
    """Which report event a row holds; a later run of the same report replaces it."""

    event_id: str = Field(max_length=36)
    occurred_at: datetime = Field(sa_column_kwargs={"nullable": False}, sa_type=DateTime(timezone=True))


class DashboardRankingSnapshot(ReportRow, table=True):
    """A monthly ranking as the workflows' schedule computed it (月度排名); the latest for (month, scope) wins."""

    __tablename__ = "dashboard_ranking_snapshot"

    month: str = Field(primary_key=True, max_length=7)
    scope: str = Field(primary_key=True, max_length=80)
    entries: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class DashboardOverdueDigest(ReportRow, table=True):
    """A daily list of escalated open tickets for one community or department (每日督办清单)."""

    __tablename__ = "dashboard_overdue_digest"

    day: str = Field(primary_key=True, max_length=10)
    scope: str = Field(primary_key=True, max_length=80)
    tickets: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class PeriodPublic(SQLModel):
    kind: str
    start: date
    end: date
    label: str


class Summary(SQLModel):
    """A scope's figures over a period (cohort: tickets filed, or for a department dispatches received, in it), its
    tickets by status now, and the change from the previous period (环比) and the same period a year ago (同比)."""

    scope: str
    name: str = ""
    period: PeriodPublic | None = None
    filed: int  # tickets filed (a department: dispatches received)
    counts: dict[str, int] = {}
    by_status: dict[str, int]
    returned: int
    reopened: int
    escalated: int
    warned: int
    rated: int
    unreachable: int = 0  # closed after 回访 calls nobody answered: unrated, never satisfied
    rates: Rates
    previous: Rates | None = None
    year_ago: Rates | None = None
    change: dict[str, float | None] = {}  # 环比, percentage points per rate; "filed" as a relative change
    change_yoy: dict[str, float | None] = {}  # 同比


class RankingRow(Summary):
    rank: int
    previous_rank: int | None = None  # the rank in the previous period; None when it had no tickets then
    rank_change: int | None = None  # positive: climbed


class RankingEntryPublic(SQLModel):
    scope: str
    filed: int
    response_rate: float | None
    closure_rate: float | None
    satisfaction_rate: float | None


class RankingSnapshotPublic(SQLModel):
    month: str
    scope: str
    entries: list[RankingEntryPublic]
    occurred_at: datetime


class OverdueItemPublic(SQLModel):
    ticket_id: str
    title: str
    status: str
    escalation_level: int


class OverdueDigestPublic(SQLModel):
    day: str
    scope: str
    tickets: list[OverdueItemPublic]
    occurred_at: datetime


class EscalatedTicket(SQLModel):
    id: str
    title: str
    community_id: str
    department_id: str | None
    status: str
    escalation_level: int
    updated_at: datetime


class TicketRow(SQLModel):
    """A ticket behind a figure (drill-down); opens at the portal's /staff/tickets/{id}."""

    id: str
    title: str
    community_id: str
    department_id: str | None
    grid_id: str | None
    category: str
    channel: str
    kind: str
    status: str
    escalation_level: int
    overdue: bool
    next_due: datetime | None = None
    filed_at: datetime
    updated_at: datetime


class DashboardTopic(SQLModel, table=True):
    """每月一题: a hot issue leadership turned into the month's topic, tracked until staff close it."""

    __tablename__ = "dashboard_topic"

    id: str = Field(primary_key=True, max_length=40)
    month: str = Field(max_length=7, index=True)
    title: str = Field(max_length=80)
    scope: str = Field(max_length=80)  # category:<id>, community:<id>, grid:<id> or place:<key>
    window_days: int = 30
    observed: int = 0  # tickets in the window when it was chosen
    expected: float = 0.0  # what the trailing 12 weeks led to expect
    status: str = Field(default="open", max_length=10)  # open, closed
    note: str | None = Field(default=None, max_length=500)  # how it was closed
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_by: str | None = Field(default=None, max_length=80)
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
