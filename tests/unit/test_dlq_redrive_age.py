"""Re-drive leaves alone an event the consumers' inboxes may have forgotten (older than INBOX_KEEP_DAYS less a day):
the groups that applied it would apply it again. A dry run shows it, without Kafka."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from libs.events import Actor, TicketFiled, encode_event
from libs.messaging.dlq import DeadLetter, redrive

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def letter(age: timedelta, offset: int) -> DeadLetter:
    event = TicketFiled(ticket_id=f"T-{offset}", actor=Actor(role="resident", id="r"), title="t", description="d",
                        category="road", community_id="xinran", occurred_at=NOW - age)
    return DeadLetter(partition=0, offset=offset, timestamp=NOW - age, key=b"T", value=encode_event(event),
                      headers=(("source_topic", b"tickets"), ("event_id", str(event.event_id).encode())))


def test_only_events_every_inbox_still_remembers_are_redriven():
    letters = [letter(timedelta(days=2), 1), letter(timedelta(days=28, hours=23), 2), letter(timedelta(days=29, hours=1), 3),
               letter(timedelta(days=90), 4)]
    results = asyncio.run(redrive("127.0.0.1:1", letters, dry_run=True, inbox_keep=timedelta(days=30), now=NOW))
    outcomes = [r.outcome for r in results]
    assert outcomes[:2] == ["would redrive", "would redrive"]
    assert all(o.startswith("skipped: the event is from") and "would apply it again" in o for o in outcomes[2:])

    longer = asyncio.run(redrive("127.0.0.1:1", letters, dry_run=True, inbox_keep=timedelta(days=120), now=NOW))
    assert [r.outcome for r in longer] == ["would redrive"] * 4
