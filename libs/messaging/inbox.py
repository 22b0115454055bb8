"""Idempotent inbox: a handled event id is stored in the same transaction as the change it caused."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, DateTime, Index, delete, select, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from libs.events import Envelope


class InboxEntry(SQLModel, table=True):
    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: str = Field(primary_key=True, max_length=36)
    event_type: str = Field(max_length=100)
    handled_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))

    __table_args__ = (Index("ix_inbox_handled_at", "handled_at"),)


PURGE_CHUNK = 5000  # rows per delete: short transactions that never hold the consumer's inserts for long


def purge_inbox(engine: Engine, keep: timedelta, now: datetime | None = None) -> int:
    """Delete inbox rows handled more than `keep` ago, in chunks; how many went. An event that old can no longer be
    redelivered (its topic no longer holds it), so its row has done its work; without this the table grows by every
    event of every ticket (tens of millions of rows a year in a district)."""
    cut = (now or datetime.now(timezone.utc)) - keep
    table = InboxEntry.__table__
    purged = 0
    while True:
        with Session(engine) as session:
            old = select(table.c.consumer, table.c.event_id).where(table.c.handled_at < cut).limit(PURGE_CHUNK)
            gone = session.execute(delete(table).where(tuple_(table.c.consumer, table.c.event_id).in_(old))).rowcount
            session.commit()
        purged += gone
        if gone < PURGE_CHUNK:
            return purged


def apply_once(
    engine: Engine, consumer: str, event: Envelope, handler: Callable[[Session, Envelope], None]
) -> bool:
    """Run `handler` in one transaction with the inbox row; False when this event was already applied."""
    with Session(engine, expire_on_commit=False) as session:
        if session.get(InboxEntry, (consumer, str(event.event_id))) is not None:
            return False
        try:
            handler(session, event)
            session.add(
                InboxEntry(
                    consumer=consumer,
                    event_id=str(event.event_id),
                    event_type=event.type,
                    handled_at=datetime.now(timezone.utc),
                )
            )
            session.commit()
        except IntegrityError:
            session.rollback()
            if session.get(InboxEntry, (consumer, str(event.event_id))) is not None:
                return False
            raise
        except BaseException:
            session.rollback()
            raise
    return True
