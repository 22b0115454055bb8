"""Dashboard read models: per-ticket facts and pre-aggregated counters (never scan tickets for a rate)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel

from services.dashboard.rates import Rates


class DashboardTicket(SQLModel, table=True):
    __tablename__ = "dashboard_ticket"

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40, index=True)
    category: str = Field(max_length=40)
    urgency: str = Field(max_length=20)
    title: str = Field(max_length=80)
    department_id: str | None = Field(default=None, max_length=40, index=True)
    status: str = Field(max_length=30, index=True)
    responded: bool = False
    handled: bool = False
    escalation_level: int = Field(default=0, index=True)
    filed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DashboardCounter(SQLModel, table=True):
    """One number per (scope, metric), e.g. ("community:xinran", "responded")."""

    __tablename__ = "dashboard_counter"

    scope: str = Field(primary_key=True, max_length=80)
    metric: str = Field(primary_key=True, max_length=60)
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class Summary(SQLModel):
    scope: str
    filed: int
    by_status: dict[str, int]
    returned: int
    reopened: int
    escalated: int
    rated: int
    rates: Rates


class EscalatedTicket(SQLModel):
    id: str
    title: str
    community_id: str
    department_id: str | None
    status: str
    escalation_level: int
    updated_at: datetime
