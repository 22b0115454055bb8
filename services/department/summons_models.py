"""吹哨报到 on the department side: one row per summoned department of a summons (its task), and the API's shapes."""
from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import JSON, Field, SQLModel


class DepartmentSummonsTask(SQLModel, table=True):
    """A department's task of a summons: check in on site (报到) by `on_site_due`, then (a co-department) complete it.
    Filled from DepartmentsSummoned; the workflow's StageDeadlineSet / 催办 / 督办 of this department keep its clocks."""

    __tablename__ = "department_summons_task"
    __table_args__ = (UniqueConstraint("summons_id", "department_id", name="uq_department_summons_task"),)

    id: int | None = Field(default=None, primary_key=True)
    summons_id: str = Field(max_length=40, index=True)
    ticket_id: str = Field(max_length=40, index=True)
    department_id: str = Field(max_length=40, index=True)
    role: str = Field(max_length=10)  # lead | co
    community_id: str = Field(max_length=40)
    lead_department_id: str = Field(max_length=40)
    co_department_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    title: str | None = Field(default=None, max_length=80)
    address: str | None = Field(default=None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    reason: str = Field(max_length=500)
    joint_handling: bool = False
    summoned_by: str = Field(max_length=80)
    summoned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    on_site_due: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    task_due: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    open: bool = Field(default=True, index=True)  # False once the summons ended (the lead resolved or lost the ticket)
    warned: bool = False  # 催办 standing for this department's check-in or task
    escalation_level: int = 0  # 督办 of this department's check-in or task
    checked_in_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    checked_in_by: str | None = Field(default=None, max_length=80)
    check_in_latitude: float | None = None
    check_in_longitude: float | None = None
    distance_m: float | None = None
    check_in_note: str | None = Field(default=None, max_length=200)
    late: bool | None = None
    completed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    completed_by: str | None = Field(default=None, max_length=80)
    completion_note: str | None = Field(default=None, max_length=1000)


class CheckInRequest(SQLModel):
    """报到: the device's position (navigator.geolocation), or without one a note of where the staff are."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"latitude": 39.7245, "longitude": 116.1432, "note": "已到3号楼北侧"}]}
    )
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    note: str | None = Field(default=None, max_length=200)


class CompleteRequest(SQLModel):
    """A co-department's task done: what it did."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "已关闭阀门并完成管道抢修"}]})
    note: str = Field(min_length=2, max_length=1000)


class SummonsTaskPublic(SQLModel):
    summons_id: str
    ticket_id: str
    department_id: str
    role: str
    community_id: str
    lead_department_id: str
    co_department_ids: list[str]
    title: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    reason: str
    joint_handling: bool
    summoned_at: datetime
    on_site_due: datetime
    task_due: datetime | None
    open: bool
    warned: bool
    escalation_level: int
    checked_in_at: datetime | None
    checked_in_by: str | None
    check_in_latitude: float | None
    check_in_longitude: float | None
    distance_m: float | None
    check_in_note: str | None
    late: bool | None
    completed_at: datetime | None
    completed_by: str | None
    completion_note: str | None
    seconds_to_on_site_due: int  # the countdown as of the answer (negative: past due)
