"""The columns every service's ticket table carries: the ticket's id, the whole folded view (`fold`) and the parts of
it that lists filter and sort by. `store` is the one place a view reaches a row; `commit_event` and `follow_event` are
how use cases and consumers move it (libs/ticket/worklist.py reads a community's or department's list). `TicketRecord` is
the start of a table with one row per thing that happened to a ticket."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import DateTime
from sqlmodel import JSON, Field, Session, SQLModel

from libs.events import Event
from libs.messaging import record_event
from libs.statemachine import NotFound
from libs.ticket.deadlines import DeadlineState, beijing_time, default_calendar, time_left
from libs.ticket.status import STATUS_LABELS_ZH, TicketStatus
from libs.ticket.summons_public import SummonsPublic, summons_public
from libs.ticket.view import TicketView, apply_event, fold

Public = TypeVar("Public", bound=SQLModel)
Table = TypeVar("Table", bound=SQLModel)
Row = TypeVar("Row", bound="TicketViewColumns")


class StageWarning(SQLModel):
    """催办: a stage deadline is near."""

    stage: str
    deadline: datetime


class StageDeadline(SQLModel):
    """时限: a running stage's deadline as the ticket's workflow counts it (working time, extensions, suspensions)."""

    stage: str
    due: datetime
    warn_at: datetime | None = None  # 催办 goes out at this time
    due_text: str = ""  # the due time in Beijing time: 11月28日 17:30
    state: DeadlineState = DeadlineState.running  # as of the answer: running, warning (催办 due), overdue, suspended
    working_seconds_left: int | None = None  # working time left as of the answer; negative when overdue
    time_left: str = ""  # 剩余 2个工作日3小时 / 已超时 5小时 / 已挂起，时限暂停


class TicketSummaryColumns(SQLModel):
    """The ticket itself as the consoles keep it (event-carried from the filing; never the phone in clear)."""

    grid_id: str | None = Field(default=None, max_length=40)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=80)
    description: str = Field(max_length=2000)
    category: str = Field(max_length=40)
    urgency: str = Field(max_length=20)
    address: str | None = Field(default=None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    attachments: list[str] = Field(default_factory=list, sa_type=JSON)  # blob references (photos)
    verified_on_site: bool = False  # 现场核实
    anonymous: bool = False
    reporter_phone_masked: str | None = Field(default=None, max_length=20)


class TicketSummaryPublic(SQLModel):
    """What the consoles show of the ticket itself (event-carried from the filing)."""

    id: str
    community_id: str
    grid_id: str | None
    kind: str
    title: str
    description: str
    category: str
    urgency: str
    address: str | None
    latitude: float | None
    longitude: float | None
    attachments: list[str]
    verified_on_site: bool
    anonymous: bool
    reporter_phone_masked: str | None


class TicketViewPublic(SQLModel):
    """Where the ticket stands in its life, from the fold: status, 督办, 催办, merge, suspension."""

    status: str
    status_label: str
    escalation_level: int
    escalation_stage: str | None
    warnings: list[StageWarning]
    deadlines: list[StageDeadline] = []  # the running stages' deadlines, earliest first
    next_due: datetime | None = None
    deadline_state: DeadlineState | None = None  # the most pressing of `deadlines` (None: no clock runs)
    merged_into: str | None
    suspended: bool
    summons: list[SummonsPublic] = []  # 吹哨报到: each summons with its departments' check-ins and tasks
    hazard_verified: bool = False  # 隐患随手拍 confirmed by staff (HazardVerified)


class TicketRecord(SQLModel):
    """Mixin for a table of things that happened to a ticket, one row each (timeline entries, ratings, returns)."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(max_length=40, index=True)


class TicketViewColumns(SQLModel):
    """Mixin for a service's ticket table: the ticket's id and its folded view; the projection columns are derived
    from `fold`, never set apart from it."""

    status: str = Field(default=TicketStatus.filed.value, max_length=30, index=True)
    escalation_level: int = Field(default=0, index=True)
    escalation_stage: str | None = Field(default=None, max_length=30)  # 督办: which stage's deadline passed
    warnings: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # 催办: stage -> deadline
    merged_into: str | None = Field(default=None, max_length=40)
    suspended: bool = False
    reopen_count: int = 0
    joint_handling: bool = False  # 联席办: the second failed rating brings the departments together
    return_count: int = 0
    next_due: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), index=True)  # sort by deadline
    fold: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    id: str = Field(primary_key=True, max_length=40)

    def view(self) -> TicketView:
        return TicketView.from_dict(self.fold) if self.fold else TicketView(status=TicketStatus(self.status))

    def public(self, model: type[Public], **extra: Any) -> Public:
        """The row in an API's shape: standing warnings as a list by deadline, and the status's Chinese label."""
        warnings = sorted(
            (StageWarning(stage=stage, deadline=due) for stage, due in (self.warnings or {}).items()), key=lambda w: w.deadline
        )
        status_label = STATUS_LABELS_ZH[TicketStatus(self.status)]
        deadlines = stage_deadlines(self.view().deadlines, suspended=self.suspended)
        pressing = max((d.state for d in deadlines), key=_PRESSING.index, default=None)
        return model(
            **self.model_dump(exclude={"warnings"}), warnings=warnings, deadlines=deadlines, status_label=status_label,
            deadline_state=pressing, summons=summons_public(self.view()), hazard_verified=self.view().hazard_verified, **extra,
        )

    def store(self, view: TicketView) -> None:
        self.fold = view.to_dict()
        self.status = view.status.value
        self.escalation_level = view.escalation_level
        stage = view.escalation_stage
        self.escalation_stage = stage.value if stage else None
        self.warnings = dict(view.warnings)
        self.merged_into = view.merged_into
        self.suspended = view.suspended
        self.reopen_count = view.reopen_count
        self.joint_handling = view.joint_handling
        self.return_count = view.return_count
        self.next_due = datetime.fromisoformat(view.next_due) if view.next_due else None


_PRESSING = [DeadlineState.suspended, DeadlineState.running, DeadlineState.warning, DeadlineState.overdue]


def stage_deadlines(
    running: Mapping[str, Mapping[str, str | None]], *, suspended: bool, now: datetime | None = None
) -> list[StageDeadline]:
    """The fold's running deadlines (stage -> due, warn_at) with the time left as of `now` (default: this moment),
    earliest first."""
    now = now or datetime.now(timezone.utc)
    found = []
    for stage, d in running.items():
        due = datetime.fromisoformat(d["due"])  # type: ignore[arg-type]
        warn_at = datetime.fromisoformat(d["warn_at"]) if d.get("warn_at") else None
        left = time_left(due, warn_at, now=now, calendar=default_calendar(), suspended=suspended)
        found.append(StageDeadline(
            stage=stage, due=due, warn_at=warn_at, due_text=beijing_time(due), state=left.state,
            working_seconds_left=left.working_seconds_left, time_left=left.text,
        ))
    return sorted(found, key=lambda d: d.due)


def find_ticket(session: Session, table: type[Table], ticket_id: str, *, lock: bool = False) -> Table:
    """The service's row for the ticket (locked for a change when `lock`); NotFound (404) if it has none."""
    ticket = session.get(table, ticket_id, with_for_update=lock)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id!r} not found")
    return ticket


def commit_event(session: Session, ticket: Row, event: Event) -> Row:
    """A use case's move: the view moves by `event` (IllegalTransition, HTTP 409, if the table forbids it) and the
    event is staged in the outbox, in the caller's transaction. Every ticket table has an `updated_at`."""
    ticket.store(fold(ticket.view(), event))
    ticket.updated_at = datetime.now(timezone.utc)  # type: ignore[attr-defined]
    session.add(ticket)
    record_event(session, event)
    return ticket


def follow_event(session: Session, ticket: Row, event: Event, *, service: str) -> Row:
    """A consumer's move: a move the table forbids is logged and counted instead (the view stays), nothing is staged."""
    ticket.store(apply_event(ticket.view(), event, service=service))
    ticket.updated_at = datetime.now(timezone.utc)  # type: ignore[attr-defined]
    session.add(ticket)
    return ticket
