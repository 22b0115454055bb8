"""Department's tables and API schemas."""
from __future__ import annotations

from datetime import datetime

from typing import Literal

from pydantic import ConfigDict
from sqlalchemy import Column, DateTime
from sqlmodel import JSON, Field, SQLModel

from libs.ticket.table import TicketSummaryColumns, TicketSummaryPublic, TicketViewColumns, TicketViewPublic

ExtensionUnit = Literal["working_days", "working_hours", "clock_hours", "days"]


class DepartmentTicket(TicketViewColumns, TicketSummaryColumns, table=True):
    """The department's own view of a ticket it holds (or held)."""

    __tablename__ = "department_ticket"

    department_id: str = Field(max_length=40, index=True)
    community_id: str = Field(max_length=40)
    dispatch_note: str | None = Field(default=None, max_length=500)
    resolution_note: str | None = Field(default=None, max_length=2000)
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    contacted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    contact_note: str | None = Field(default=None, max_length=500)
    extension_status: str | None = Field(default=None, max_length=20)  # pending / granted / refused
    extension_request_event_id: str | None = Field(default=None, max_length=36)
    extension_amount: float | None = None
    extension_unit: str | None = Field(default=None, max_length=20)
    extension_reason: str | None = Field(default=None, max_length=500)
    extension_note: str | None = Field(default=None, max_length=500)
    suspend_reason: str | None = Field(default=None, max_length=500)
    dispatched_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ContactRequest(SQLModel):
    """先行联系: the department reached the resident."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "已电话联系居民，约定明早上门查看"}]})
    note: str | None = Field(default=None, max_length=500)


class ExtensionRequest(SQLModel):
    """延期申请: how much more time the resolution needs, and why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": 3, "unit": "working_days", "reason": "需等待管材到货后施工"}]},
    )
    amount: float = Field(gt=0, le=365)
    unit: ExtensionUnit = "working_days"
    reason: str = Field(min_length=2, max_length=500)


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


class DepartmentTicketPublic(TicketSummaryPublic, TicketViewPublic):
    department_id: str
    dispatch_note: str | None
    resolution_note: str | None
    evidence: list[str]
    contacted_at: datetime | None
    contact_note: str | None
    extension_status: str | None
    extension_request_event_id: str | None
    extension_amount: float | None
    extension_unit: str | None
    extension_reason: str | None
    extension_note: str | None
    suspend_reason: str | None
    dispatched_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
from services.department.summons_models import DepartmentSummonsTask  # noqa: E402,F401 - 吹哨报到 (its own module)
