"""A handler's committed transaction wakes the outbox relay (the events it staged leave at once, not at the relay's
idle poll); a duplicate, which commits nothing, does not."""
from __future__ import annotations

import asyncio

from sqlalchemy import create_engine
from sqlmodel import SQLModel

from libs.events import Actor, TicketFiled
from libs.messaging.consumer import EventConsumer
from libs.messaging.inbox import InboxEntry


def test_an_applied_event_wakes_the_relay_and_a_duplicate_does_not(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    SQLModel.metadata.create_all(engine, tables=[InboxEntry.__table__])
    wakes = []
    consumer = EventConsumer(bootstrap="127.0.0.1:1", group="g", topics=[], handlers={}, producer=None, engine=engine,
                             service="wake-test", after_commit=lambda: wakes.append(1))
    event = TicketFiled(ticket_id="T-1", actor=Actor(role="resident", id="r"), title="t", description="d", category="road",
                        community_id="xinran")
    handled = []
    assert asyncio.run(consumer._apply(event, lambda session, e: handled.append(e))) == "applied"  # noqa: SLF001
    assert asyncio.run(consumer._apply(event, lambda session, e: handled.append(e))) == "duplicate"  # noqa: SLF001
    assert len(handled) == 1 and wakes == [1]
