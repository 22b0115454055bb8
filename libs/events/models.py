"""Ticket events. Past tense, frozen, versioned; key = ticket id so one ticket's events stay in order."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from libs.events.topics import TICKETS

Role = Literal[
    "resident",
    "grid_worker",
    "community_staff",
    "department_staff",
    "supervisor",
    "leader",
    "admin",
    "system",
]
Urgency = Literal["emergency", "urgent", "ordinary", "complex"]
Satisfaction = Literal["satisfied", "basically_satisfied", "unsatisfied"]
Channel = Literal["web", "h5", "sms", "wechat", "hotline", "grid", "open311"]
TicketKind = Literal["problem", "wish"]

_NAMESPACE = uuid.UUID("6f1c3a52-6a43-4d0b-9d6e-2b7f7c1a9e01")


def deterministic_event_id(*parts: str) -> uuid.UUID:
    """Same parts, same id: retried producers (activities, relays) never mint a second event."""
    return uuid.uuid5(_NAMESPACE, "|".join(parts))


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Actor(BaseModel):
    """Who caused the event: role plus id (user id, or the service name for system)."""

    model_config = ConfigDict(frozen=True)
    role: Role
    id: str


class Event(BaseModel):
    """Envelope shared by every event; subclasses fix `type` and add payload fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    topic: str = Field(default=TICKETS, exclude=True)
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=_now)
    ticket_id: str
    actor: Actor

    @property
    def key(self) -> str:
        return self.ticket_id


class TicketFiled(Event):
    """A resident (or grid worker / operator on their behalf) blew the whistle. 居民吹哨"""

    type: Literal["TicketFiled"] = "TicketFiled"
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
    attachments: tuple[str, ...] = ()


class TicketDispatched(Event):
    """The community relayed the ticket to a department. 社区转哨 / 派单"""

    type: Literal["TicketDispatched"] = "TicketDispatched"
    community_id: str
    department_id: str
    note: str | None = None
    # Event-carried state: the department learns what it must handle without reading intake's data.
    kind: TicketKind = "problem"
    title: str
    description: str
    category: str
    urgency: Urgency = "ordinary"
    address: str | None = None
    grid_id: str | None = None
    anonymous: bool = False
    reporter_phone_masked: str | None = None


class TicketSettledOnSpot(Event):
    """The community settled it on the spot. 即办件当场结"""

    type: Literal["TicketSettledOnSpot"] = "TicketSettledOnSpot"
    community_id: str
    note: str


class TicketAccepted(Event):
    """The department signed for the ticket. 签收"""

    type: Literal["TicketAccepted"] = "TicketAccepted"
    department_id: str


class TicketReturned(Event):
    """The department returned a misrouted ticket to the community. 退单"""

    type: Literal["TicketReturned"] = "TicketReturned"
    department_id: str
    community_id: str
    reason: str


class TicketResolved(Event):
    """The department finished the work. 办结"""

    type: Literal["TicketResolved"] = "TicketResolved"
    department_id: str
    note: str
    evidence: tuple[str, ...] = ()


class TicketRated(Event):
    """The resident rated the result. 评价"""

    type: Literal["TicketRated"] = "TicketRated"
    satisfaction: Satisfaction
    solved: bool
    comment: str | None = None


class TicketReopened(Event):
    """An unsatisfied, unsolved rating sends the ticket back to the community. 重办"""

    type: Literal["TicketReopened"] = "TicketReopened"
    community_id: str
    reason: str


class TicketClosed(Event):
    """The ticket's life is over; the workflow ends."""

    type: Literal["TicketClosed"] = "TicketClosed"
    outcome: Literal["rated", "rating_window_expired", "merged", "withdrawn"] = "rated"


class TicketEscalated(Event):
    """A stage deadline passed: the ladder climbs one level. 督办"""

    type: Literal["TicketEscalated"] = "TicketEscalated"
    stage: str
    level: Annotated[int, Field(ge=1, le=3)]
    deadline: datetime
    community_id: str | None = None
    department_id: str | None = None


class DeadlineWarned(Event):
    """A stage deadline is near: remind the handler. 催办"""

    type: Literal["DeadlineWarned"] = "DeadlineWarned"
    stage: str
    deadline: datetime
    community_id: str | None = None
    department_id: str | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        TicketFiled,
        TicketDispatched,
        TicketSettledOnSpot,
        TicketAccepted,
        TicketReturned,
        TicketResolved,
        TicketRated,
        TicketReopened,
        TicketClosed,
        TicketEscalated,
        DeadlineWarned,
    )
}
