"""Department's tables and API schemas."""
from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import Column, DateTime
from sqlmodel import JSON, Field, SQLModel


class DepartmentTicket(SQLModel, table=True):
    """The department's own view of a ticket it holds (or held)."""

    __tablename__ = "department_ticket"

    id: str = Field(primary_key=True, max_length=40)
    department_id: str = Field(max_length=40, index=True)
    community_id: str = Field(max_length=40)
    grid_id: str | None = Field(default=None, max_length=40)
    kind: str = Field(max_length=10)
    title: str = Field(max_length=80)
    description: str = Field(max_length=2000)
    category: str = Field(max_length=40)
    urgency: str = Field(max_length=20)
    address: str | None = Field(default=None, max_length=200)
    anonymous: bool = False
    reporter_phone_masked: str | None = Field(default=None, max_length=20)
    dispatch_note: str | None = Field(default=None, max_length=500)
    status: str = Field(max_length=30, index=True)
    resolution_note: str | None = Field(default=None, max_length=2000)
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    escalation_level: int = 0
    dispatched_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ResolveRequest(SQLModel):
    """办结 with what was done and evidence."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "已组织施工队修复路面并设置警示标志", "evidence": ["https://files.example/fix.jpg"]}]},
    )
    note: str = Field(min_length=2, max_length=2000)
    evidence: list[str] = Field(default_factory=list, max_length=9)


class ReturnRequest(SQLModel):
    """退单: why this is not ours."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "属物业管理范围，请改派住建委"}]})
    reason: str = Field(min_length=2, max_length=500)


class DepartmentTicketPublic(SQLModel):
    id: str
    department_id: str
    community_id: str
    grid_id: str | None
    kind: str
    title: str
    description: str
    category: str
    urgency: str
    address: str | None
    anonymous: bool
    reporter_phone_masked: str | None
    dispatch_note: str | None
    status: str
    status_label: str
    resolution_note: str | None
    evidence: list[str]
    escalation_level: int
    dispatched_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
