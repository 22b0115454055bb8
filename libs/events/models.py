"""Ticket events. Past tense, frozen, versioned; key = ticket id so one ticket's events stay in order."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.events.topics import CONFIG, REPORTS, TICKETS

Role = Literal[
    "resident",
    "grid_worker",
    "community_staff",
    "department_staff",
    "supervisor",
    "leader",
    "admin",
    "operator",
    "volunteer",
    "system",
]
Urgency = Literal["emergency", "urgent", "ordinary", "complex"]
Satisfaction = Literal["satisfied", "basically_satisfied", "unsatisfied"]
Channel = Literal["web", "h5", "sms", "wechat", "hotline", "grid", "open311"]
# 诉求, 微心愿, 隐患随手拍, 咨询, 建议
TicketKind = Literal["problem", "wish", "hazard", "consultation", "suggestion"]

_NAMESPACE = uuid.UUID("6f1c3a52-6a43-4d0b-9d6e-2b7f7c1a9e01")


def deterministic_event_id(*parts: str) -> uuid.UUID:
    """Same parts, same id: retried producers (activities, relays) never mint a second event."""
    return uuid.uuid5(_NAMESPACE, "|".join(parts))


def _now() -> datetime:
    return datetime.now(timezone.utc)


# Every concrete event class by its `type`, in the order they are defined; filled as each class is created.
EVENT_TYPES: dict[str, type[Envelope]] = {}


class Actor(BaseModel):
    """Who caused the event: role plus id (user id, or the service name for system)."""

    model_config = ConfigDict(frozen=True)
    role: Role
    id: str


class Envelope(BaseModel):
    """What every event carries; ticket events add `ticket_id`, report and config events a `scope`.

    A concrete event's `type` is its class name, as a Literal (a payload of another type does not validate it), and
    the class is registered in EVENT_TYPES; the classes between (Event, ReportEvent...) say `abstract=True`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    topic: str = Field(default=TICKETS, exclude=True)
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=_now)
    actor: Actor

    @property
    def key(self) -> str:
        raise NotImplementedError

    def __init_subclass__(cls, *, abstract: bool = False, **kwargs: Any) -> None:
        if not abstract:  # runs before pydantic collects the fields, so `type` becomes one of them
            cls.__annotations__ = {"type": Literal[cls.__name__], **cls.__dict__.get("__annotations__", {})}
            setattr(cls, "type", cls.__name__)
            EVENT_TYPES[cls.__name__] = cls
        super().__init_subclass__(**kwargs)


class Event(Envelope, abstract=True):
    """A ticket event: key = ticket id, so one ticket's events stay in order on one partition."""

    ticket_id: str

    @property
    def key(self) -> str:
        return self.ticket_id


class TicketFiled(Event):
    """A resident (or grid worker / operator on their behalf) blew the whistle. 居民吹哨"""

    kind: TicketKind = "problem"
    title: str
    description: str
    category: str
    urgency: Urgency = "ordinary"
    channel: Channel = "web"
    community_id: str
    grid_id: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reporter_id: str | None = None  # opaque account id; never name or phone in clear
    reporter_phone_masked: str | None = None
    anonymous: bool = False
    attachments: tuple[str, ...] = ()  # blob references (photos), never the bytes
    verified_on_site: bool = False  # 现场核实: a grid worker saw it with their own eyes
    suggested_category: str | None = None  # 分类建议: set when the filer named no category and the text chose it
    suggestion_reason: str | None = None  # which words matched (e.g. "匹配关键词：井盖、塌陷")


class TicketRecategorized(Event):
    """The community changed the ticket's category (分类调整); the proposed department follows it."""

    community_id: str
    category: str
    previous_category: str
    proposed_department_id: str | None = None
    note: str | None = None


class TicketAssignedToCommunity(Event):
    """街道分拨: a supervisor of the street placed a ticket nothing else placed (it waited in the street's triage
    queue, `from_community_id`) in a community, whose console now holds it."""

    community_id: str
    from_community_id: str
    grid_id: str | None = None
    note: str | None = None


class TicketDispatched(Event):
    """The community relayed the ticket to a department. 社区转哨 / 派单"""

    # Event-carried state: the department learns what it must handle without reading intake's data.
    TICKET_FIELDS: ClassVar[frozenset[str]] = frozenset({
        "community_id", "kind", "title", "description", "category", "urgency", "address", "grid_id", "anonymous",
        "reporter_phone_masked", "latitude", "longitude", "attachments", "verified_on_site",
    })

    community_id: str
    department_id: str
    note: str | None = None
    kind: TicketKind = "problem"
    title: str
    description: str
    category: str
    urgency: Urgency = "ordinary"
    address: str | None = None
    grid_id: str | None = None
    anonymous: bool = False
    reporter_phone_masked: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    attachments: tuple[str, ...] = ()
    verified_on_site: bool = False


class TicketSettledOnSpot(Event):
    """The community settled it on the spot. 即办件当场结"""

    community_id: str
    note: str


class TicketAccepted(Event):
    """The department signed for the ticket. 签收"""

    department_id: str


class TicketReturned(Event):
    """The department returned a misrouted ticket to the community. 退单"""

    department_id: str
    community_id: str
    reason: str


class TicketResolved(Event):
    """The department finished the work. 办结"""

    department_id: str
    note: str
    evidence: tuple[str, ...] = ()


class TicketRated(Event):
    """The resident rated the result (评价), themselves or on a 回访 call recorded by staff (`via` "callback")."""

    satisfaction: Satisfaction
    solved: bool
    comment: str | None = None
    via: Literal["resident", "callback"] = "resident"


class TicketReopened(Event):
    """An unsatisfied, unsolved rating sends the ticket back to the community. 重办"""

    community_id: str
    reason: str
    reopen_count: int = 1
    joint_handling: bool = False  # second failure: the street convenes the departments (联席办)


class TicketClosed(Event):
    """The ticket's life is over; the workflow ends."""

    outcome: Literal["rated", "rating_window_expired", "callback_unreachable", "merged", "withdrawn"] = "rated"
    merged_into: str | None = None


class TicketEscalated(Event):
    """A stage deadline passed: the ladder climbs one level. 督办"""

    stage: str
    level: Annotated[int, Field(ge=1, le=3)]
    deadline: datetime
    community_id: str | None = None
    department_id: str | None = None


class DeadlineWarned(Event):
    """A stage deadline is near: remind the handler. 催办"""

    stage: str
    deadline: datetime
    community_id: str | None = None
    department_id: str | None = None


class StageDeadlineSet(Event):
    """A stage's deadline as the ticket's workflow now counts it (the one authority on time): published when the stage
    starts and whenever its deadline moves (延期 granted, 挂起 resumed, 退单/重办 restart), so every list can show the
    due time and the time left without computing working time itself. 时限"""

    stage: str
    deadline: datetime
    warn_at: datetime | None = None  # when 催办 goes out (the policy's warning fraction)
    community_id: str | None = None
    department_id: str | None = None


class CallbackRequested(Event):
    """回访: the rating window passed without a rating; the community calls the resident back before `deadline`
    instead of the ticket closing silently (the ticket's workflow publishes it)."""

    community_id: str | None = None
    department_id: str | None = None
    deadline: datetime


class CallbackAttempted(Event):
    """A 回访 call was made: `reached` or not (after too many unreachable calls the ticket closes unrated)."""

    community_id: str
    reached: bool
    attempt: int = Field(ge=1)
    note: str | None = Field(default=None, max_length=500)


class ResidentContacted(Event):
    """The department reached the resident (first contact, 先行联系)."""

    department_id: str
    note: str | None = None


class ExtensionRequested(Event):
    """The department asks for more time on the resolution deadline. 延期申请"""

    department_id: str
    amount: Annotated[float, Field(gt=0)]
    unit: Literal["working_days", "working_hours", "clock_hours", "days"] = "working_days"
    reason: str


class ExtensionGranted(Event):
    """A supervisor granted the extension: the resolution deadline moves."""

    request_event_id: uuid.UUID
    amount: Annotated[float, Field(gt=0)]
    unit: Literal["working_days", "working_hours", "clock_hours", "days"] = "working_days"
    note: str | None = None


class ExtensionRefused(Event):
    """A supervisor refused the extension: the deadline stays."""

    request_event_id: uuid.UUID
    note: str | None = None


class TicketMerged(Event):
    """A duplicate was merged into another ticket; its own life ends here. 合并"""

    community_id: str
    merged_into: str


class TicketSuspended(Event):
    """Handling paused (e.g. waiting for a court ruling); all deadlines stop. 挂起"""

    reason: str


class TicketResumed(Event):
    """Handling resumes; deadlines move by the time spent suspended."""

    note: str | None = None


class TicketNoteAdded(Event):
    """Staff wrote a note on the ticket's story: 内部 (staff only) or 公开 (the resident reads it too). No status moves."""

    text: Annotated[str, Field(min_length=1, max_length=1000)]
    visibility: Literal["internal", "public"] = "internal"
    community_id: str | None = None  # the author's scope, for whoever follows notes per community or department
    department_id: str | None = None


class ScopedEvent(Envelope, abstract=True):
    """An event about many tickets or the whole district; key = its scope, so the latest of a scope wins in order."""

    scope: str

    @property
    def key(self) -> str:
        return self.scope


class ReportEvent(ScopedEvent, abstract=True):
    """A scheduled report about many tickets; its scope is whom it is about (e.g. community:xinran)."""

    topic: str = Field(default=REPORTS, exclude=True)


class OverdueItem(BaseModel):
    model_config = ConfigDict(frozen=True)
    ticket_id: str
    title: str
    status: str
    escalation_level: int


class OverdueDigest(ReportEvent):
    """Daily list of escalated, still open tickets for one community or department (每日督办清单)."""

    day: str
    tickets: tuple[OverdueItem, ...]


class RankingEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    scope: str
    filed: int
    response_rate: float | None
    closure_rate: float | None
    satisfaction_rate: float | None


class RankingSnapshot(ReportEvent):
    """Monthly ranking of communities and departments by the three rates (月度排名)."""

    month: str
    entries: tuple[RankingEntry, ...]


class ConfigEvent(ScopedEvent, abstract=True):
    """An admin's change to district-wide configuration; its scope is what changed."""

    topic: str = Field(default=CONFIG, exclude=True)


class SlaPolicyPublished(ConfigEvent):
    """A new SLA policy version; tickets filed from now on live by it, running tickets keep theirs."""

    scope: str = "sla_policy"
    policy_version: int
    document: dict[str, Any]


class CategoryRulesPublished(ConfigEvent):
    """Admins published a new version of the category keyword rules (分类建议); filings from now on use it."""

    scope: str = "category_rules"
    rules_version: int
    document: dict[str, Any]


class GridBoundariesPublished(ConfigEvent):
    """Admins replaced the grid boundaries (网格边界, GeoJSON); every intake replica places filings by the latest."""

    scope: str = "grid_boundaries"
    boundaries_version: int
    document: dict[str, Any]


class CalendarAdjusted(ConfigEvent):
    """Admin overrides of the working-time calendar (a year the data lacks, a local day off, a correction)."""

    scope: str = "calendar"
    holidays: tuple[str, ...] = ()
    workdays: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
