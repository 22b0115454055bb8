"""The wish service's tables (a wish, its claims, notices to people, volunteers) and API schemas."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, StringConstraints
from sqlalchemy import JSON, Column, DateTime, Index, text
from sqlmodel import Field, SQLModel

ATTACHMENT_REF = r"^/attachments/[A-Za-z0-9_-]{1,64}\.jpg$"
UnitType = Literal["company", "school", "department", "other"]  # 共建单位: 企业 / 学校 / 机关单位 / 其他


class Wish(SQLModel, table=True):
    """One micro-wish (微心愿); its id is the id of the ticket it was filed as."""

    __tablename__ = "wishes_wish"

    id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40, index=True)
    grid_id: str | None = Field(default=None, max_length=40)
    title: str = Field(max_length=80)
    description: str = Field(max_length=2000)
    public_title: str = Field(max_length=80)
    public_summary: str = Field(max_length=500)
    category: str = Field(max_length=40)
    channel: str = Field(max_length=20)
    wisher_id: str | None = Field(default=None, max_length=80, index=True)
    status: str = Field(max_length=20, index=True)
    decline_reason: str | None = Field(default=None, max_length=200)
    estimated_hours: float | None = None
    needed_by: date | None = None
    claim_id: str | None = Field(default=None, max_length=36)
    claimant_id: str | None = Field(default=None, max_length=80, index=True)
    claimant_label: str | None = Field(default=None, max_length=40)
    claim_expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    fulfil_note: str | None = Field(default=None, max_length=1000)
    fulfil_photos: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    fulfil_hours: float | None = None
    dispute_reason: str | None = Field(default=None, max_length=500)
    thanks_note: str | None = Field(default=None, max_length=200)
    posted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class WishClaim(SQLModel, table=True):
    """Every claim ever made; at most one per wish is running (ended_at null), enforced by the database too."""

    __tablename__ = "wishes_claim"
    __table_args__ = (
        Index(
            "uq_wishes_claim_running", "wish_id", unique=True,
            postgresql_where=text("ended_at IS NULL"), sqlite_where=text("ended_at IS NULL"),
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    wish_id: str = Field(max_length=40, index=True)
    claimant_id: str = Field(max_length=80, index=True)
    claimed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    outcome: str | None = Field(default=None, max_length=30)  # confirmed / released / claim_expired / dispute_reopened


class WishNotice(SQLModel, table=True):
    """What a person is told about a wish (a decline's reason, an expired claim), shown on their page."""

    __tablename__ = "wishes_notice"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(max_length=80, index=True)
    wish_id: str = Field(max_length=40)
    kind: str = Field(max_length=30)
    text: str = Field(max_length=300)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Volunteer(SQLModel, table=True):
    """A volunteer's registration with a home community (在职党员回社区报到)."""

    __tablename__ = "wishes_volunteer"

    id: str = Field(primary_key=True, max_length=80)  # the account id (token sub)
    name: str = Field(max_length=40)
    community_id: str = Field(max_length=40, index=True)
    party_member: bool = False
    work_unit: str | None = Field(default=None, max_length=80)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    availability: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=20, index=True)  # pending / confirmed
    kind: str = Field(default="person", max_length=10, sa_column_kwargs={"server_default": "person"})  # person / unit
    unit_type: str | None = Field(default=None, max_length=20)  # a 共建单位's: company / school / department / other
    registered_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    confirmed_by: str | None = Field(default=None, max_length=80)
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))

    def public_label(self) -> str:
        """How lists and the wall name them: a person by role and surname only (党员志愿者 王*); a 共建单位 (an
        organisation, not a person) by its name."""
        if self.kind == "unit":
            return f"共建单位 {self.name}"
        who = "党员志愿者" if self.party_member else "志愿者"
        return f"{who} {self.name[:1]}*" if self.name else who


# --------------------------------------------------------------------------- API schemas


class ApproveRequest(SQLModel):
    """Approve a wish for the wall; staff may reword it so nothing personal shows (defaults: the filing's words)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"public_title": "想有人陪老人去医院复查", "estimated_hours": 3, "needed_by": "2026-12-20"}]},
    )
    public_title: str | None = Field(default=None, min_length=2, max_length=80)
    public_summary: str | None = Field(default=None, min_length=2, max_length=500)
    estimated_hours: float | None = Field(default=None, gt=0, le=200)
    needed_by: date | None = None


class ReasonRequest(SQLModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "属于物业维修范围，已转物业处理"}]})
    reason: str = Field(min_length=2, max_length=200)


class FulfilRequest(SQLModel):
    """圆梦: what was done, how long it took, photos uploaded beforehand (attachment references)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "陪同王奶奶到区医院复查，已送回家", "hours": 3, "photos": ["/attachments/a1b2c3.jpg"]}]},
    )
    note: str = Field(min_length=2, max_length=1000)
    hours: float = Field(gt=0, le=24)
    photos: list[Annotated[str, StringConstraints(pattern=ATTACHMENT_REF)]] = Field(default_factory=list, max_length=9)


class ConfirmRequest(SQLModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"thanks_note": "谢谢小王，帮了大忙！"}]})
    thanks_note: str | None = Field(default=None, max_length=200)


class WallWish(SQLModel):
    """A wish as the public wall shows it: no wisher, no phone, no full name."""

    id: str
    community_id: str
    public_title: str
    public_summary: str
    category: str
    status: str
    estimated_hours: float | None
    needed_by: date | None
    claimant_label: str | None
    thanks_note: str | None
    posted_at: datetime


class WishPublic(WallWish):
    """A wish as the wisher, its claimant and the community's staff see it."""

    title: str
    description: str
    grid_id: str | None
    channel: str
    is_mine: bool = False
    claimed_by_me: bool = False
    decline_reason: str | None
    claim_expires_at: datetime | None
    fulfil_note: str | None
    fulfil_photos: list[str]
    fulfil_hours: float | None
    dispute_reason: str | None
    updated_at: datetime


class NoticePublic(SQLModel):
    wish_id: str
    kind: str
    text: str
    created_at: datetime


class VolunteerRequest(SQLModel):
    """在职党员回社区报到: the home community, whether a party member and from which unit, skills, availability."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "community_id": "xinran", "name": "王志强", "party_member": True, "work_unit": "区卫健委",
            "skills": ["医疗咨询", "陪诊"], "availability": "周末全天",
        }]},
    )
    community_id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=40)  # a 共建单位's: the organisation's name
    party_member: bool = False
    work_unit: str | None = Field(default=None, max_length=80)  # a 共建单位's: the contact person (not shown publicly)
    skills: list[str] = Field(default_factory=list, max_length=10)
    availability: str | None = Field(default=None, max_length=200)
    kind: Literal["person", "unit"] = "person"  # unit: a 共建单位 (company, school, department) claims as one claimant
    unit_type: UnitType | None = None


class VolunteerPublic(SQLModel):
    id: str
    name: str
    community_id: str
    kind: str = "person"
    unit_type: str | None = None
    party_member: bool
    work_unit: str | None
    skills: list[str]
    availability: str | None
    status: str
    registered_at: datetime
    confirmed_at: datetime | None


WallStatus = Literal["open", "claimed", "fulfilled", "disputed", "confirmed"]
