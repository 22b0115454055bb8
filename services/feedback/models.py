"""Feedback's tables and API schemas."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict
from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from libs.ticket.table import TicketRecord


class FeedbackTicket(SQLModel, table=True):
    """What feedback needs to know to ask the right resident for a rating."""

    __tablename__ = "feedback_ticket"

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40, index=True)
    department_id: str | None = Field(default=None, max_length=40)
    reporter_id: str | None = Field(default=None, max_length=80, index=True)
    title: str = Field(max_length=80)
    status: str = Field(max_length=30, index=True)
    resolution_note: str | None = Field(default=None, max_length=2000)
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reopen_count: int = 0
    closed_outcome: str | None = Field(default=None, max_length=30)  # rated / callback_unreachable / merged / ...
    callback_due: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))  # 回访 deadline
    callback_attempts: int = 0  # 回访 calls that were not answered
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class FeedbackRating(TicketRecord, table=True):
    """Every rating given, including the one that reopened the ticket."""

    __tablename__ = "feedback_rating"

    rated_by: str = Field(max_length=80)
    satisfaction: str = Field(max_length=30)
    solved: bool
    comment: str | None = Field(default=None, max_length=500)
    rated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class RatingRequest(SQLModel):
    """The resident's verdict: how satisfied, and was the problem really solved?"""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"satisfaction": "satisfied", "solved": True, "comment": "修得很快，谢谢！"}]},
    )
    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    solved: bool
    comment: str | None = Field(default=None, max_length=500)


class CallbackRequest(SQLModel):
    """One 回访 call: answered (then the resident's verdict, as they said it) or not."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reached": True, "satisfaction": "basically_satisfied", "solved": True, "comment": "居民表示路灯已修好"},
                {"reached": False, "comment": "无人接听"},
            ]
        },
    )
    reached: bool
    satisfaction: Literal["satisfied", "basically_satisfied", "unsatisfied"] | None = None
    solved: bool | None = None
    comment: str | None = Field(default=None, max_length=500)


class FeedbackTicketPublic(SQLModel):
    id: str
    community_id: str
    department_id: str | None
    title: str
    status: str
    resolution_note: str | None
    resolved_at: datetime | None
    reopen_count: int
    closed_outcome: str | None
    callback_due: datetime | None = None
    callback_attempts: int = 0
    updated_at: datetime
