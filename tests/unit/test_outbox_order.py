"""The outbox relay keeps each ticket's events in order (libs/messaging/outbox.py), on SQLite with a recording
producer: a row leased to another (perhaps dead) relay holds back the later rows of its key, not other keys; rows of
one key go out one after another, and when one fails the rest of its key wait, in order, for the next claim.
The real thing under kill -9: tests/chaos (it found TicketResolved published 22 s before its TicketAccepted)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, update
from sqlmodel import Session, SQLModel, select

from libs.events import Actor, TicketAccepted, TicketDispatched, TicketResolved
from libs.messaging import OutboxMessage, OutboxRelay, record_event

DEPT = Actor(role="department_staff", id="d-1")


class Producer:
    """Records what was sent, in order; `fail` names event types whose send is refused by the broker."""

    def __init__(self, fail: set[str] = frozenset()) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = set(fail)

    async def send(self, topic, value, key, headers):  # noqa: ANN001, ARG002
        event_type = dict(headers)["event_type"].decode()
        future = asyncio.get_running_loop().create_future()
        if event_type in self.fail:
            future.set_exception(TimeoutError(f"{event_type}: request timed out"))
        else:
            self.sent.append((key.decode(), event_type))
            future.set_result(None)
        return future


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    SQLModel.metadata.create_all(engine, tables=[OutboxMessage.__table__])
    return engine


def write(engine, *events) -> None:  # noqa: ANN001
    with Session(engine) as session:
        for event in events:
            record_event(session, event)
        session.commit()


def life(ticket: str) -> tuple:
    return (TicketDispatched(ticket_id=ticket, actor=DEPT, community_id="xinran", department_id="d-1", title="路灯",
                             description="d", category="road"),
            TicketAccepted(ticket_id=ticket, actor=DEPT, department_id="d-1"),
            TicketResolved(ticket_id=ticket, actor=DEPT, department_id="d-1", note="修好了"))


def lease(engine, event_type: str, ticket: str, until: datetime) -> None:  # noqa: ANN001
    """As a relay killed after claiming the row would leave it."""
    with Session(engine) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.event_type == event_type, OutboxMessage.key == ticket)
                        .values(lease_until=until))
        session.commit()


def unsent(engine) -> list[tuple[str, str]]:  # noqa: ANN001
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)).all()
        return [(r.key, r.event_type) for r in rows]


async def test_a_row_leased_to_a_dead_relay_holds_back_its_ticket_only_until_the_lease_ends(engine) -> None:
    write(engine, *life("T-A"), *life("T-B"))
    lease(engine, "TicketAccepted", "T-A", datetime.now(timezone.utc) + timedelta(minutes=5))  # the dead relay's
    producer = Producer()
    relay = OutboxRelay(engine, producer, "department")
    assert await relay.publish_once() == 4
    # T-A's dispatch went out; its acceptance is in the dead relay's hands, so its resolution must wait
    assert producer.sent == [("T-A", "TicketDispatched"), ("T-B", "TicketDispatched"), ("T-B", "TicketAccepted"), ("T-B", "TicketResolved")]
    assert unsent(engine) == [("T-A", "TicketAccepted"), ("T-A", "TicketResolved")]
    assert await relay.publish_once() == 0 and unsent(engine) == [("T-A", "TicketAccepted"), ("T-A", "TicketResolved")]

    lease(engine, "TicketAccepted", "T-A", datetime.now(timezone.utc) - timedelta(seconds=1))  # the lease ran out
    assert await relay.publish_once() == 2
    assert producer.sent[-2:] == [("T-A", "TicketAccepted"), ("T-A", "TicketResolved")]
    assert unsent(engine) == []


async def test_when_a_send_fails_the_rest_of_that_ticket_waits_in_order_and_other_tickets_go_on(engine) -> None:
    write(engine, *life("T-A"))
    write(engine, *life("T-B")[:1])
    producer = Producer(fail={"TicketAccepted"})
    relay = OutboxRelay(engine, producer, "department")
    assert await relay.publish_once() == 2
    assert producer.sent == [("T-A", "TicketDispatched"), ("T-B", "TicketDispatched")]  # never T-A's resolution
    assert unsent(engine) == [("T-A", "TicketAccepted"), ("T-A", "TicketResolved")]

    producer.fail.clear()  # the broker is back
    assert await relay.publish_once() == 2
    assert producer.sent[-2:] == [("T-A", "TicketAccepted"), ("T-A", "TicketResolved")]


async def test_when_nothing_goes_out_the_relay_is_told_so_it_backs_off(engine) -> None:
    write(engine, *life("T-A"))
    relay = OutboxRelay(engine, Producer(fail={"TicketDispatched"}), "department")
    with pytest.raises(TimeoutError):
        await relay.publish_once()
    assert unsent(engine) == [("T-A", "TicketDispatched"), ("T-A", "TicketAccepted"), ("T-A", "TicketResolved")]


async def sent_within(relay: OutboxRelay, seconds: float) -> list[tuple[str, str]]:
    """What the relay's recording producer has sent, once it sent anything (or after `seconds`)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not relay.producer.sent and loop.time() - started < seconds:
        await asyncio.sleep(0.01)
    return relay.producer.sent


async def test_an_idle_relay_polls_ever_less_often_and_a_wake_sends_at_once(engine):
    """Idle, the poll doubles from poll_seconds up to idle_seconds (not 20 claims a second for ever); a commit in
    the process wakes it, so a new row goes out without waiting for the slow poll (here, an hour)."""
    relay = OutboxRelay(engine, Producer(), "idle-test", poll_seconds=0.05, idle_seconds=1.0)
    claims = 0
    real_claim = relay._claim  # noqa: SLF001

    def counting_claim():  # noqa: ANN202
        nonlocal claims
        claims += 1
        return real_claim()

    relay._claim = counting_claim  # noqa: SLF001
    running = asyncio.create_task(relay.run())
    await asyncio.sleep(3.5)  # 0.05, 0.1, 0.2, 0.4, 0.8, then 1 s apart: about 8 claims, not 70
    assert 2 <= claims <= 12, claims

    relay.poll_seconds = relay.idle_seconds = 3600  # from its next poll on, the relay would sleep an hour...
    await asyncio.sleep(1.5)
    write(engine, *life("T-idle")[:1])
    relay.wake()  # ...so only the wake can send this row
    assert await sent_within(relay, 30) == [("T-idle", "TicketDispatched")]
    relay.stop()
    await asyncio.wait_for(running, 5)


async def test_a_wake_during_a_cycle_is_not_lost(engine):
    """A commit that lands while the relay is claiming (too late for this claim) wakes it for the next one at once;
    the relay used to clear such a wake before waiting, and the row then waited for the next poll (here, an hour)."""
    relay = OutboxRelay(engine, Producer(), "wake-race", poll_seconds=3600, idle_seconds=3600)
    real_claim = relay._claim  # noqa: SLF001
    calls = 0

    def claim_then_commit():  # noqa: ANN202 - in the relay's worker thread
        nonlocal calls
        calls += 1
        rows = real_claim()
        if calls == 1:  # a request commits right after this claim looked: its wake arrives mid-cycle
            write(engine, *life("T-race")[:1])
            relay.wake()
        return rows

    relay._claim = claim_then_commit  # noqa: SLF001
    running = asyncio.create_task(relay.run())
    assert await sent_within(relay, 30) == [("T-race", "TicketDispatched")]
    relay.stop()
    await asyncio.wait_for(running, 30)
