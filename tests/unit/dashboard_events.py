"""Hand-built ticket lives for the dashboard's tests: events with explicit times, projected into an in-memory read model."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import Session, SQLModel, create_engine

from libs.events import (
    Actor,
    CallbackRequested,
    StageDeadlineSet,
    TicketAccepted,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketMerged,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketReturned,
    TicketSettledOnSpot,
)
from services.dashboard import models, weights
from services.dashboard.projection import project_event
from services.dashboard.summons import DashboardSummonsDepartment

RESIDENT = Actor(role="resident", id="r1")
STAFF = Actor(role="community_staff", id="s1")
DEPT = Actor(role="department_staff", id="d1")
SYSTEM = Actor(role="system", id="workflow")
BJ = timezone(timedelta(hours=8))
TABLES = [models.DashboardTicket, models.DashboardDaily, models.DashboardCounter, models.DashboardTopic, weights.DashboardWeights,
          DashboardSummonsDepartment]


def new_session() -> Session:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in TABLES])
    return Session(engine)


def apply(session: Session, *events) -> None:
    for event in events:
        project_event(session, event)
        session.flush()


def at(text: str) -> datetime:
    """A Beijing wall-clock time: '2026-11-30 23:30'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BJ)


class Life:
    """One ticket's events, each at a given Beijing time."""

    def __init__(self, ticket_id: str, community: str = "xinran", category: str = "road", **filing) -> None:
        self.id, self.community, self.category, self.filing = ticket_id, community, category, filing

    def filed(self, when: str, **extra) -> TicketFiled:
        fields = {"title": "路面塌陷", "description": "人行道塌陷", "category": self.category, "community_id": self.community,
                  **self.filing, **extra}
        return TicketFiled(ticket_id=self.id, actor=RESIDENT, occurred_at=at(when), **fields)

    def dispatched(self, when: str, department: str = "urban") -> TicketDispatched:
        return TicketDispatched(ticket_id=self.id, actor=STAFF, occurred_at=at(when), community_id=self.community,
                                department_id=department, title="路面塌陷", description="人行道塌陷", category=self.category)

    def deadline(self, when: str, stage: str, due: str) -> StageDeadlineSet:
        return StageDeadlineSet(ticket_id=self.id, actor=SYSTEM, occurred_at=at(when), stage=stage, deadline=at(due))

    def accepted(self, when: str, department: str = "urban") -> TicketAccepted:
        return TicketAccepted(ticket_id=self.id, actor=DEPT, occurred_at=at(when), department_id=department)

    def resolved(self, when: str, department: str = "urban") -> TicketResolved:
        return TicketResolved(ticket_id=self.id, actor=DEPT, occurred_at=at(when), department_id=department, note="已修复")

    def returned(self, when: str, department: str = "urban") -> TicketReturned:
        return TicketReturned(ticket_id=self.id, actor=DEPT, occurred_at=at(when), department_id=department,
                              community_id=self.community, reason="不属于本部门职责")

    def settled(self, when: str) -> TicketSettledOnSpot:
        return TicketSettledOnSpot(ticket_id=self.id, actor=STAFF, occurred_at=at(when), community_id=self.community, note="当场解决")

    def rated(self, when: str, satisfaction: str = "satisfied", solved: bool = True) -> TicketRated:
        return TicketRated(ticket_id=self.id, actor=RESIDENT, occurred_at=at(when), satisfaction=satisfaction, solved=solved)

    def reopened(self, when: str) -> TicketReopened:
        return TicketReopened(ticket_id=self.id, actor=SYSTEM, occurred_at=at(when), community_id=self.community, reason="未解决")

    def callback(self, when: str) -> CallbackRequested:
        return CallbackRequested(ticket_id=self.id, actor=SYSTEM, occurred_at=at(when), community_id=self.community,
                                 deadline=at(when) + timedelta(days=3))

    def closed(self, when: str, outcome: str = "rated") -> TicketClosed:
        return TicketClosed(ticket_id=self.id, actor=SYSTEM, occurred_at=at(when), outcome=outcome)

    def escalated(self, when: str, stage: str, level: int = 1) -> TicketEscalated:
        return TicketEscalated(ticket_id=self.id, actor=SYSTEM, occurred_at=at(when), stage=stage, level=level, deadline=at(when))

    def merged(self, when: str, into: str) -> TicketMerged:
        return TicketMerged(ticket_id=self.id, actor=STAFF, occurred_at=at(when), community_id=self.community, merged_into=into)
