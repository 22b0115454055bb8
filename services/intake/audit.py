"""审计 (issue 12): every action on a ticket, kept for ever in an append-only table. Intake's consumer sees every
event on the `tickets` topic (each service's actions and the workflow's); `with_audit` adds one line per event, in
the inbox transaction of that event (so a redelivered event is neither lost nor written twice: the inbox refuses it
first, and `event_id` is unique). Sent outbox rows may be purged; these lines are not: no API updates or deletes
them, and the database refuses it (migration 6c1e2f3a4b5d: a trigger on PostgreSQL and on SQLite raising on UPDATE
and DELETE). Leaders and admins read a ticket's audit: `GET /tickets/{ticket_id}/audit`."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import Column, DateTime
from sqlmodel import JSON, Field, Session, SQLModel, col, select

from libs.auth import Principal, require
from libs.events import EVENT_TYPES, TICKETS, Event
from libs.messaging import Handlers
from libs.runtime import RuntimeDep
from libs.statemachine import NotFound
from services.intake.models import IntakeTicket

APPEND_ONLY = "intake_audit is append-only"


class IntakeAudit(SQLModel, table=True):
    """One action on a ticket: the event as it was published (ids, actor, payload; phones are never in events)."""

    __tablename__ = "intake_audit"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    ticket_id: str = Field(max_length=40, index=True)
    event_type: str = Field(max_length=60)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor_role: str = Field(max_length=30)
    actor_id: str = Field(max_length=80)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    recorded_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc),
                                  sa_column=Column(DateTime(timezone=True), nullable=False))


class AuditEntry(SQLModel):
    seq: int
    event_id: str
    event_type: str
    occurred_at: datetime
    actor_role: str
    actor_id: str
    payload: dict[str, Any]
    recorded_at: datetime


def ticket_event_classes() -> list[type[Event]]:
    """Every concrete event of the `tickets` topic."""
    return [cls for cls in EVENT_TYPES.values()
            if issubclass(cls, Event) and cls.model_fields["topic"].default == TICKETS]


def record(session: Session, event: Event) -> None:
    if session.exec(select(IntakeAudit.id).where(IntakeAudit.event_id == str(event.event_id))).first() is not None:
        return
    payload = event.model_dump(mode="json", exclude={"event_id", "type", "occurred_at", "actor", "ticket_id"})
    session.add(IntakeAudit(
        event_id=str(event.event_id), ticket_id=event.ticket_id, event_type=event.type, occurred_at=event.occurred_at,
        actor_role=event.actor.role, actor_id=event.actor.id, payload=payload,
    ))


def with_audit(handlers: Handlers) -> Handlers:
    """`handlers` plus an audit line for every ticket event, after the event's own handler (same transaction)."""
    audited: Handlers = dict(handlers)
    for cls in ticket_event_classes():
        own = handlers.get(cls)

        def handle(session: Session, event: Event, own: Any = own) -> None:
            if own is not None:
                own(session, event)
            record(session, event)

        audited[cls] = handle
    return audited


def ticket_audit(session: Session, *, ticket_id: str) -> list[AuditEntry]:
    """Every line of the ticket, in the order they were recorded (404 for a ticket intake does not know)."""
    rows = list(session.exec(select(IntakeAudit).where(IntakeAudit.ticket_id == ticket_id).order_by(col(IntakeAudit.id))))
    if not rows and session.get(IntakeTicket, ticket_id) is None:
        raise NotFound(f"ticket {ticket_id!r} not found")
    return [AuditEntry(seq=r.id or 0, **r.model_dump(include=set(AuditEntry.model_fields) - {"seq"})) for r in rows]


router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require("leader", "admin"))]


@router.get(
    "/tickets/{ticket_id}/audit", response_model=list[AuditEntry],
    summary="审计: every action on the ticket (append-only; leaders and admins)",
)
def get_audit(ticket_id: str, _principal: Auditor, runtime: RuntimeDep) -> list[AuditEntry]:
    return runtime.read(ticket_audit, ticket_id=ticket_id)
