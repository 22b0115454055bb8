"""Dispatch's tables and API schemas."""
from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class DispatchTicket(SQLModel, table=True):
    """The community console's view of a ticket."""

    __tablename__ = "dispatch_ticket"

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40, index=True)
    grid_id: str | None = Field(default=None, max_length=40)
    kind: str = Field(max_length=10)
    title: str = Field(max_length=80)
    description: str = Field(max_length=2000)
    category: str = Field(max_length=40)
    urgency: str = Field(max_length=20)
    address: str | None = Field(default=None, max_length=200)
    channel: str = Field(max_length=20)
    anonymous: bool = False
    reporter_phone_masked: str | None = Field(default=None, max_length=20)
    status: str = Field(max_length=30, index=True)
    proposed_department_id: str | None = Field(default=None, max_length=40)
    department_id: str | None = Field(default=None, max_length=40, index=True)
    return_count: int = 0
    last_return_reason: str | None = Field(default=None, max_length=500)
    escalation_level: int = 0
    settle_note: str | None = Field(default=None, max_length=2000)
    filed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DispatchReturn(SQLModel, table=True):
    """Each 退单, so returns by the same department can be counted."""

    __tablename__ = "dispatch_return"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(max_length=40, index=True)
    department_id: str = Field(max_length=40, index=True)
    reason: str = Field(max_length=500)
    returned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DispatchRequest(SQLModel):
    """派单: send the ticket to a department."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"department_id": "urban", "note": "请三日内修复"}]}
    )
    department_id: str = Field(min_length=1, max_length=40)
    note: str | None = Field(default=None, max_length=500)


class SettleRequest(SQLModel):
    """即办: the community solved it on the spot."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "网格员现场协调物业，已清理楼道杂物"}]}
    )
    note: str = Field(min_length=2, max_length=2000)


class DispatchTicketPublic(SQLModel):
    id: str
    community_id: str
    grid_id: str | None
    kind: str
    title: str
    description: str
    category: str
    urgency: str
    address: str | None
    channel: str
    anonymous: bool
    reporter_phone_masked: str | None
    status: str
    status_label: str
    proposed_department_id: str | None
    department_id: str | None
    return_count: int
    last_return_reason: str | None
    escalation_level: int
    filed_at: datetime
    updated_at: datetime
