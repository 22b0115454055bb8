"""Inbox rows are purged once no redelivery can reach them: older than the keep period (which must outlive the
topics' 7-day retention), in chunks, hourly from the consumer loop; newer rows still stop a redelivered event."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, select
from sqlmodel import Session, SQLModel

from libs.events import Actor, TicketFiled
from libs.messaging import inbox as inbox_module
from libs.messaging.consumer import EventConsumer
from libs.messaging.inbox import InboxEntry, apply_once, purge_inbox
from libs.observability import INBOX_PURGED
from libs.settings import Settings

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'inbox.db'}")
    SQLModel.metadata.create_all(engine, tables=[InboxEntry.__table__])
    return engine


def add_rows(engine, ages_in_days: list[float], consumer: str = "dashboard") -> list[str]:  # noqa: ANN001
    ids = [str(uuid4()) for _ in ages_in_days]
    with Session(engine) as session:
        for event_id, age in zip(ids, ages_in_days):
            session.add(InboxEntry(consumer=consumer, event_id=event_id, event_type="TicketFiled", handled_at=NOW - timedelta(days=age)))
        session.commit()
    return ids


def remaining(engine) -> set[str]:  # noqa: ANN001
    with Session(engine) as session:
        return set(session.execute(select(InboxEntry.event_id)).scalars())


def test_rows_past_the_keep_period_go_and_younger_ones_stay(engine):
    old = add_rows(engine, [31, 45, 400])
    young = add_rows(engine, [0, 29.9]) + add_rows(engine, [1], consumer="intake")
    assert purge_inbox(engine, timedelta(days=30), now=NOW) == 3
    assert remaining(engine) == set(young)
    assert not set(old) & remaining(engine)
    assert purge_inbox(engine, timedelta(days=30), now=NOW) == 0


def test_a_large_backlog_is_deleted_in_chunks_until_none_is_left(engine, monkeypatch):
    monkeypatch.setattr(inbox_module, "PURGE_CHUNK", 4)
    add_rows(engine, [60] * 10)
    young = add_rows(engine, [2])
    assert purge_inbox(engine, timedelta(days=30), now=NOW) == 10
    assert remaining(engine) == set(young)


def test_a_redelivered_event_younger_than_the_keep_period_is_still_applied_once(engine):
    event = TicketFiled(ticket_id="T1", actor=Actor(role="system", id="t"), title="t", description="d", category="road",
                        community_id="xinran", reporter_id="r")
    applied = []
    assert apply_once(engine, "dashboard", event, lambda session, e: applied.append(e.event_id))
    purge_inbox(engine, timedelta(days=30))
    assert not apply_once(engine, "dashboard", event, lambda session, e: applied.append(e.event_id))
    assert len(applied) == 1


def test_the_consumer_purges_when_due_counts_it_and_survives_a_failure(engine):
    add_rows(engine, [90, 90])
    consumer = EventConsumer(bootstrap="127.0.0.1:1", group="g", topics=[], handlers={}, producer=None, engine=engine,
                             service="purge-test", inbox_keep=timedelta(days=30))
    before = INBOX_PURGED.labels("purge-test")._value.get()  # noqa: SLF001
    asyncio.run(consumer._purge_when_due())  # noqa: SLF001 - not yet due: a minute after start
    assert len(remaining(engine)) == 2
    consumer._next_purge = 0  # noqa: SLF001
    asyncio.run(consumer._purge_when_due())  # noqa: SLF001
    assert remaining(engine) == set() and INBOX_PURGED.labels("purge-test")._value.get() == before + 2  # noqa: SLF001

    broken = create_engine("sqlite:////nonexistent-dir/inbox.db")
    failing = EventConsumer(bootstrap="127.0.0.1:1", group="g", topics=[], handlers={}, producer=None, engine=broken, service="purge-test")
    failing._next_purge = 0  # noqa: SLF001
    asyncio.run(failing._purge_when_due())  # noqa: SLF001 - logged, not raised
    assert failing._next_purge > 0  # noqa: SLF001 - tried again in an hour


def test_a_keep_period_within_the_topics_retention_is_refused():
    assert Settings(inbox_keep_days=30).inbox_keep_days == 30
    with pytest.raises(ValidationError, match="inbox_keep_days"):
        Settings(inbox_keep_days=7)
