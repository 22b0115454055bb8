"""Dashboard read models: per-ticket facts and pre-aggregated counters (never scan tickets for a rate)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import JSON, Field, SQLModel

from libs.ticket.table import TicketViewColumns
from services.dashboard.rates import Rates


class DashboardTicket(TicketViewColumns, table=True):
    __tablename__ = "dashboard_ticket"

    community_id: str = Field(max_length=40, index=True)
    category: str = Field(max_length=40)
    urgency: str = Field(max_length=20)
    title: str = Field(max_length=80)
    department_id: str | None = Field(default=None, max_length=40, index=True)
    responded: bool = False
    handled: bool = False
    # What this ticket has added to each of its scopes' counters (metric -> count, status counts aside): when the
    # ticket changes scope (分类调整, 街道分拨) these move with it, so every scope counts only the tickets it holds.
    counted: dict[str, int] | None = Field(default_factory=dict, sa_type=JSON)
    filed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DashboardCounter(SQLModel, table=True):
    """One number per (scope, metric), e.g. ("community:xinran", "responded")."""

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


class Summary(SQLModel):
    scope: str
    filed: int
    by_status: dict[str, int]
    returned: int
    reopened: int
    escalated: int
    warned: int
    rated: int
    unreachable: int = 0  # closed after 回访 calls nobody answered: unrated, never satisfied
    rates: Rates


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
