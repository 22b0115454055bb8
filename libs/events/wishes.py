"""Micro-wish (微心愿), volunteer and points events: 寻梦—揽梦—圆梦 on the `wishes` topic (key = wish or volunteer id),
ledger credits on the `points` topic (key = the account's owner). Registered in EVENT_TYPES like every event."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from libs.events.models import ConfigEvent, Envelope
from libs.events.topics import POINTS, WISHES

ReleaseReason = Literal["released", "claim_expired", "dispute_reopened"]


class WishEvent(Envelope, abstract=True):
    """An event in one wish's life; key = wish id (the id of the ticket it was filed as)."""

    topic: str = Field(default=WISHES, exclude=True)
    wish_id: str
    community_id: str

    @property
    def key(self) -> str:
        return self.wish_id


class WishPosted(WishEvent):
    """寻梦: a ticket of kind wish became a wish awaiting the community's review."""

    title: str
    category: str
    channel: str = "web"
    wisher_id: str | None = None  # opaque account id, never a name or phone


class WishApproved(WishEvent):
    """The community approved the wish: it is on the wall (心愿墙) with its public wording."""

    public_title: str
    public_summary: str
    estimated_hours: float | None = None
    needed_by: date | None = None


class WishDeclined(WishEvent):
    """The community declined the wish; the wisher is told why once (一次性告知)."""

    reason: str
    wisher_id: str | None = None


class WishClaimed(WishEvent):
    """揽梦: a volunteer took the wish up; it goes back to the wall by itself at `expires_at` unless fulfilled."""

    claim_id: str
    claimant_id: str
    expires_at: datetime


class WishClaimExpired(WishEvent):
    """The claim's timer fired (published by the Temporal workflow); the wish service decides if it still applies."""

    claim_id: str


class WishReturnedToWall(WishEvent):
    """The claim ended without a confirmed fulfilment (given up, expired, or a dispute reopened by staff)."""

    claim_id: str
    claimant_id: str
    reason: ReleaseReason


class WishFulfilled(WishEvent):
    """圆梦: the claimant recorded what was done; the wisher confirms or disputes."""

    claim_id: str
    claimant_id: str
    note: str
    photos: tuple[str, ...] = ()
    hours: float


class WishConfirmed(WishEvent):
    """The wisher (or staff on their behalf) confirmed: the claimant earns points and time-bank hours."""

    claim_id: str
    claimant_id: str
    hours: float
    thanks_note: str | None = None
    on_behalf: bool = False


class WishDisputed(WishEvent):
    """The wisher says it was not done as recorded; the claimant may record it again or staff reopen it."""

    claim_id: str
    claimant_id: str
    reason: str


class VolunteerEvent(Envelope, abstract=True):
    """A volunteer's registration with a home community (在职党员回社区报到); key = volunteer id."""

    topic: str = Field(default=WISHES, exclude=True)
    volunteer_id: str
    community_id: str

    @property
    def key(self) -> str:
        return self.volunteer_id


class VolunteerRegistered(VolunteerEvent):
    """A volunteer (a party member: 在职党员) reported to a home community, with skills and availability."""

    party_member: bool = False
    work_unit: str | None = None
    skills: tuple[str, ...] = ()
    kind: Literal["person", "unit"] = "person"  # unit: a 共建单位 registered as one claimant
    unit_type: str | None = None


class VolunteerConfirmed(VolunteerEvent):
    """The community confirmed the registration: the volunteer may claim its wishes."""


class PointsCredited(Envelope):
    """积分 and 时间银行: one ledger transaction that credited an account, caused by `source_event_id`."""

    topic: str = Field(default=POINTS, exclude=True)
    owner_id: str
    community_id: str | None = None
    reason: str
    source_event_id: str
    points: int = 0
    minutes: int = 0
    rules_version: int

    @property
    def key(self) -> str:
        return self.owner_id


class PointsRulesPublished(ConfigEvent):
    """Admins published a new version of the points rules (积分规则); credits from now on follow it."""

    scope: str = "points_rules"
    rules_version: int
    document: dict[str, Any]


# --------------------------------------------------------------------------- 三张清单: service projects


class ProjectEvent(Envelope, abstract=True):
    """A service project (服务项目, e.g. 为老人义剪) of a community; key = project id."""

    topic: str = Field(default=WISHES, exclude=True)
    project_id: str
    community_id: str

    @property
    def key(self) -> str:
        return self.project_id


class ProjectPublished(ProjectEvent):
    """Staff published a project: place, time, capacity, and the hours an attendee is credited."""

    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    hours: float


class ProjectSignedUp(ProjectEvent):
    """A volunteer (or a 共建单位) signed up for the project."""

    signup_id: str
    volunteer_id: str


class ProjectSignupCancelled(ProjectEvent):
    """The volunteer withdrew before the project (their place is free again)."""

    signup_id: str
    volunteer_id: str


class ProjectAttendanceConfirmed(ProjectEvent):
    """Staff confirmed the volunteer attended: the volunteer is credited hours and points once (per signup)."""

    signup_id: str
    volunteer_id: str
    hours: float


# --------------------------------------------------------------------------- statistics for the dashboard


class WishStatistics(Envelope):
    """A community's 微心愿 figures for one Beijing day, as they stand after the change that caused it (key =
    community id, so one community's snapshots stay in order): the latest snapshot of a (community, day) replaces
    the earlier ones. Published by the wishes service whenever a wish is posted, approved, claimed, fulfilled or
    confirmed, or a project attendance is confirmed. See docs/architecture.md (微心愿 statistics)."""

    topic: str = Field(default=WISHES, exclude=True)
    community_id: str
    day: date  # Beijing day
    posted: int = 0  # 寻梦: wishes filed that day
    approved: int = 0  # 审核通过 that day
    claimed: int = 0  # 揽梦: claims made that day (a wish claimed again counts again)
    fulfilled: int = 0  # 圆梦 recorded by the claimant that day
    confirmed: int = 0  # confirmed by the wisher (or staff) that day
    days_to_fulfil_mean: float | None = None  # posted → confirmed, days, over the wishes confirmed that day
    days_to_fulfil_max: float | None = None
    active_volunteers: int = 0  # distinct volunteers and units who claimed, fulfilled or attended a project that day
    active_volunteers_30d: int = 0  # the same over the 30 days ending that day
    open_now: int = 0  # on the wall waiting, as of this snapshot
    claimed_now: int = 0  # claimed and not yet fulfilled, as of this snapshot

    @property
    def key(self) -> str:
        return self.community_id
