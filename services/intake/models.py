"""Intake's tables and API schemas (SQLModel families: Base / Create / Public / table)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, StringConstraints, field_validator
from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import JSON, Field, SQLModel

from libs.events.models import Channel, Urgency
from libs.events.models import TicketKind as Kind
from libs.ticket.table import StageDeadline, TicketRecord, TicketViewColumns


class TicketBase(SQLModel):
    kind: Kind = Field(
        default="problem",
        description="problem 诉求, wish 微心愿, hazard 隐患随手拍, consultation 咨询, suggestion 建议",
    )
    title: str = Field(min_length=2, max_length=80, description="One line: what is wrong")
    description: str = Field(min_length=2, max_length=2000)
    category: str = Field(max_length=40, description="Category id from the district's list")
    address: str | None = Field(default=None, max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class TicketCreate(TicketBase):
    """What a resident, grid worker or hotline operator submits. 吹哨"""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "problem",
                    "title": "小区门口路面塌陷",
                    "description": "3号楼南侧人行道塌陷约半米，老人经过很危险。",
                    "category": "road",
                    "community_id": "xinran",
                    "address": "馨然嘉园3号楼南侧",
                    "channel": "h5",
                }
            ]
        },
    )
    category: str | None = Field(
        default=None, max_length=40, description="Category id from the district's list; blank: suggested from the text (分类建议)"
    )
    urgency: Urgency | None = Field(default=None, description="Defaults from the category")
    channel: Channel = "web"
    community_id: str | None = Field(default=None, max_length=40)
    grid_id: str | None = Field(default=None, max_length=40)
    contact_phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 \-]{7,20}$")] | None = Field(
        default=None, description="Shown to staff masked (138****5678); never put on events in clear"
    )
    contact_name: str | None = Field(
        default=None, min_length=1, max_length=40, description="联系人: stored encrypted, shown only on a recorded reveal"
    )
    anonymous: bool = False
    attachments: list[str] = Field(default_factory=list, max_length=9, description="URLs of photos already uploaded")
    verified_on_site: bool = Field(default=False, description="现场核实: a grid worker saw it on site (grid workers only)")

    @field_validator("title", "description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        if len(value.strip()) < 2:  # the length the ticket keeps (TicketPublic) is checked after the trim: '1 ' was
            raise ValueError("must have at least 2 characters besides spaces")  # filed, then every read of it a 500
        return value.strip()

    @field_validator("attachments")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://", "/")) or len(url) > 500:
                raise ValueError(f"attachment {url[:60]!r} must be an http(s) URL or a path of at most 500 characters")
        return value


class IntakeTicket(TicketBase, TicketViewColumns, table=True):
    """The resident's view of their ticket; status mirrors the ticket events."""

    __tablename__ = "intake_ticket"
    __table_args__ = (UniqueConstraint("filed_by", "idempotency_key", name="uq_intake_idempotency"),)

    kind: str = Field(default="problem", max_length=20)
    urgency: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    community_id: str = Field(max_length=40, index=True)
    grid_id: str | None = Field(default=None, max_length=40)
    reporter_id: str | None = Field(default=None, max_length=80, index=True)
    filed_by: str = Field(max_length=80)
    reporter_phone_masked: str | None = Field(default=None, max_length=20)
    anonymous: bool = False
    attachments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    verified_on_site: bool = False
    suggested_category: str | None = Field(default=None, max_length=40)  # 分类建议, when the filer named none
    suggestion_reason: str | None = Field(default=None, max_length=500)
    idempotency_key: str = Field(max_length=100)
    request_fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


Visibility = Literal["public", "internal", "staff"]


class IntakeTimeline(TicketRecord, table=True):
    """What happened to the ticket: the staff's whole story, and the resident's progress page (the lines and notes
    `visibility` lets them read: services/intake/story.py)."""

    __tablename__ = "intake_timeline"

    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=40)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    note: str | None = Field(default=None, max_length=2000)
    # public: the resident reads the line and its note; internal: the line's headline only; staff: not the line
    visibility: str = Field(default="public", max_length=10, sa_column_kwargs={"server_default": "public"})
    actor_role: str | None = Field(default=None, max_length=20)
    actor_id: str | None = Field(default=None, max_length=80)
    department_id: str | None = Field(default=None, max_length=40)  # the department the event is about
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class TimelineEntry(SQLModel):
    event_type: str
    occurred_at: datetime
    note: str | None = None
    department_id: str | None = Field(default=None, description="承办部门 the line is about (派单, 签收, 办结...)")


class StoryEntry(TimelineEntry):
    """One line of a ticket's whole story, as staff read it."""

    visibility: Visibility = Field(description="public 公开 (the resident reads it), internal 内部 (the resident reads "
                                   "the headline only), staff (the resident does not see the line)")
    actor_role: str | None = None
    actor_id: str | None = None
    details: dict = Field(default={}, description="photos, stage, deadline, warn_at, level, amount, unit, "
                          "satisfaction, solved, merged_into... as the event carried them")


class NoteCreate(SQLModel):
    """A note on the ticket's story: 内部 for staff only, 公开 for the resident too."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": "已电话联系物业，明早到场", "visibility": "internal"}]})
    text: str = Field(min_length=1, max_length=1000)
    visibility: Literal["internal", "public"]

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class TicketPublic(TicketBase):
    id: str
    urgency: str
    channel: str
    community_id: str
    grid_id: str | None
    status: str
    status_label: str
    reporter_phone_masked: str | None
    anonymous: bool
    attachments: list[str]
    verified_on_site: bool
    suggested_category: str | None = None
    suggestion_reason: str | None = None
    escalation_level: int
    suspended: bool = False
    deadlines: list[StageDeadline] = Field(default=[], description="时限: the running stages' deadlines, earliest first")
    next_due: datetime | None = None
    department_id: str | None = Field(default=None, description="承办部门: the department holding the ticket now")
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineEntry] = []


class TicketStory(TicketPublic):
    """A ticket's whole story for staff: every line (internal ones too), the tickets merged into it, and every
    department that held it."""

    story: list[StoryEntry]
    merged_from: list[str] = Field(description="Tickets merged into this one (合并)")
    departments: list[str] = Field(description="Every department the ticket was dispatched to, first first")


class IntakeCategoryRules(SQLModel, table=True):
    """Every version of the category keyword rules an admin published (分类建议); the highest is current."""

    __tablename__ = "intake_category_rules"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: dict = Field(sa_column=Column(JSON, nullable=False))
    published_by: str = Field(max_length=80)
    published_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CategoryRulesPublic(SQLModel):
    """The current rules: `source` "file" until an admin publishes a version."""

    version: int
    source: Literal["file", "stored"]
    document: dict
    published_by: str | None = None
    published_at: datetime | None = None


class SuggestRequest(SQLModel):
    """The text so far; either part may be empty."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "井盖丢失", "description": "3号楼南侧人行道井盖不见了"}]}
    )
    title: str = Field(default="", max_length=80)
    description: str = Field(default="", max_length=2000)


class CategorySuggestion(SQLModel):
    category: str
    name: str
    score: float
    matched: list[str]
    reason: str


class SuggestResponse(SQLModel):
    rules_version: int
    suggestions: list[CategorySuggestion]  # best first; empty when nothing matched
    fallback: str  # what a filing without a category gets when nothing matched
