"""Dispatch's tables and API schemas."""
from __future__ import annotations

from datetime import datetime

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, StringConstraints
from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlmodel import JSON, Field, SQLModel

from libs.ticket.table import TicketSummaryColumns, TicketRecord, TicketSummaryPublic, TicketViewColumns, TicketViewPublic

ExtensionUnit = Literal["working_days", "working_hours", "clock_hours", "days"]
IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class DispatchTicket(TicketViewColumns, TicketSummaryColumns, table=True):
    """The community console's view of a ticket."""

    __tablename__ = "dispatch_ticket"
    __table_args__ = (Index("ix_dispatch_ticket_community_category", "community_id", "category"),)  # 疑似重复 search

    community_id: str = Field(max_length=40, index=True)
    channel: str = Field(max_length=20)
    proposed_department_id: str | None = Field(default=None, max_length=40)
    department_id: str | None = Field(default=None, max_length=40, index=True)
    last_return_reason: str | None = Field(default=None, max_length=500)
    suspend_reason: str | None = Field(default=None, max_length=500)
    settle_note: str | None = Field(default=None, max_length=2000)
    suggested_category: str | None = Field(default=None, max_length=40)  # 分类建议, when the filer named none
    suggestion_reason: str | None = Field(default=None, max_length=500)
    filed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DispatchDuplicate(TicketRecord, table=True):
    """疑似重复: `ticket_id` (the newer filing) may repeat `candidate_id`, an open ticket of the same community and
    category filed nearby shortly before (services/dispatch/duplicates.py)."""

    __tablename__ = "dispatch_duplicate"
    __table_args__ = (UniqueConstraint("ticket_id", "candidate_id", name="uq_dispatch_duplicate"),)

    candidate_id: str = Field(max_length=40, index=True)
    distance_m: float
    hours_apart: float
    found_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DispatchReturn(TicketRecord, table=True):
    """Each 退单, so returns by the same department can be counted."""

    __tablename__ = "dispatch_return"

    department_id: str = Field(max_length=40, index=True)
    reason: str = Field(max_length=500)
    returned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DispatchExtension(SQLModel, table=True):
    """A department's 延期申请 waiting for (or decided by) a supervisor."""

    __tablename__ = "dispatch_extension"

    request_event_id: str = Field(primary_key=True, max_length=36)
    ticket_id: str = Field(max_length=40, index=True)
    community_id: str | None = Field(default=None, max_length=40)
    department_id: str = Field(max_length=40)
    amount: float
    unit: str = Field(max_length=20)
    reason: str = Field(max_length=500)
    status: str = Field(max_length=20, index=True)
    requested_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    granted_amount: float | None = None
    granted_unit: str | None = Field(default=None, max_length=20)
    decision_note: str | None = Field(default=None, max_length=500)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class DispatchSlaPolicy(SQLModel, table=True):
    """Every SLA policy version an admin published; the highest is current."""

    __tablename__ = "dispatch_sla_policy"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    published_by: str = Field(max_length=80)
    published_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DispatchCalendar(SQLModel, table=True):
    """Every set of admin calendar overrides; the latest is current (each one replaces the previous)."""

    __tablename__ = "dispatch_calendar"

    id: int | None = Field(default=None, primary_key=True)
    holidays: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    workdays: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    remove: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    adjusted_by: str = Field(max_length=80)
    adjusted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DispatchRequest(SQLModel):
    """派单: send the ticket to a department."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"department_id": "urban", "note": "请三日内修复"}]}
    )
    department_id: str = Field(min_length=1, max_length=40)
    note: str | None = Field(default=None, max_length=500)


class AssignCommunityRequest(SQLModel):
    """街道分拨: the community (and, if known, the grid) a ticket of the street's triage queue belongs to."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"community_id": "xinran", "note": "地址在馨然嘉园北门外"}]}
    )
    community_id: str = Field(min_length=1, max_length=40)
    grid_id: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=500)


class SettleRequest(SQLModel):
    """即办: the community solved it on the spot."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "网格员现场协调物业，已清理楼道杂物"}]}
    )
    note: str = Field(min_length=2, max_length=2000)


class MergeRequest(SQLModel):
    """合并: this ticket duplicates another one of the same community."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"into_ticket_id": "T20261126-3FA2C91B"}]})
    into_ticket_id: str = Field(min_length=1, max_length=40)


class SuspendRequest(SQLModel):
    """挂起: why handling must pause (all deadlines stop)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "等待法院判决后再处理"}]})
    reason: str = Field(min_length=2, max_length=500)


class ResumeRequest(SQLModel):
    """恢复: handling continues; deadlines move by the time spent suspended."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "判决已下达，恢复办理"}]})
    note: str | None = Field(default=None, max_length=500)


class GrantRequest(SQLModel):
    """Grant a 延期申请; amount and unit default to what the department asked for."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount": 2, "unit": "working_days", "note": "同意延期两个工作日"}]}
    )
    amount: float | None = Field(default=None, gt=0, le=365)
    unit: ExtensionUnit | None = None
    note: str | None = Field(default=None, max_length=500)


class RefuseRequest(SQLModel):
    """Refuse a 延期申请: the deadline stays."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "材料已到，请按期办结"}]})
    note: str = Field(min_length=2, max_length=500)


class ExtensionPublic(SQLModel):
    request_event_id: str
    ticket_id: str
    community_id: str | None
    department_id: str
    amount: float
    unit: str
    reason: str
    status: str
    requested_at: datetime
    granted_amount: float | None
    granted_unit: str | None
    decision_note: str | None
    decided_by: str | None
    decided_at: datetime | None


class CalendarOverrides(SQLModel):
    """Admin overrides of the working-time calendar (ISO dates); each PUT replaces the previous set."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"holidays": ["2026-12-31"], "workdays": ["2027-01-03"], "remove": []}]},
    )
    holidays: list[IsoDate] = Field(default_factory=list, max_length=366)
    workdays: list[IsoDate] = Field(default_factory=list, max_length=366)
    remove: list[IsoDate] = Field(default_factory=list, max_length=366)


class CalendarPublic(CalendarOverrides):
    adjusted_by: str | None = None
    adjusted_at: datetime | None = None


class SlaPolicyPublic(SQLModel):
    version: int
    source: Literal["stored", "file"]
    document: dict[str, Any]
    published_by: str | None = None
    published_at: datetime | None = None


class DispatchTicketPublic(TicketSummaryPublic, TicketViewPublic):
    channel: str
    proposed_department_id: str | None
    department_id: str | None
    return_count: int
    last_return_reason: str | None
    reopen_count: int
    joint_handling: bool
    suspend_reason: str | None
    suggested_category: str | None = None
    suggestion_reason: str | None = None
    filed_at: datetime
    updated_at: datetime


class RecategorizeRequest(SQLModel):
    """分类调整: the community puts the ticket in another category; the proposed department follows it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"category": "road", "note": "实为井盖缺失"}]})
    category: str = Field(min_length=1, max_length=40)
    note: str | None = Field(default=None, max_length=500)


class DuplicateHint(SQLModel):
    """An open ticket this one may repeat: merge with POST /tickets/{ticket_id}/merge {"into_ticket_id": ticket_id}."""

    ticket_id: str
    title: str
    category: str
    status: str
    status_label: str
    address: str | None
    distance_m: float
    hours_apart: float
    filed_at: datetime
