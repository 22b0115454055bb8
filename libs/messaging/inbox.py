"""Idempotent inbox: a handled event id is stored in the same transaction as the change it caused."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime
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
