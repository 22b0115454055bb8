"""One message per event per person across redelivery and restarts: notify is stopped while a batch of events is being
handled, its consumer group is rewound to the start of the topic (as if it had died before committing any offset, so
every event comes again), and started afresh. Every person still has exactly one message per event on each channel:
one text in the SMS sink, one inbox line."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalGenerationError, RebalanceInProgressError, UnknownMemberIdError
from aiokafka.structs import OffsetAndMetadata

from libs.events import TICKETS, TicketFiled, TicketResolved, topic_name
from libs.events.topics import consumer_group
from libs.observability import EVENTS_CONSUMED
from libs.settings import get_settings
from tests.integration.conftest import bearer, eventually
from tests.integration.notify_helpers import PARTITIONS, SYSTEM, new_ticket_id, notify_environment, publish_events, sms_texts, start_notify

PHONE = "13700001111"
RESIDENT = bearer("resident", "resident1", community_id="xinran")
ADMIN = bearer("admin", "admin")
TICKETS_IN_BATCH = 20


async def rewind_group(group: str, topic: str, timeout: float = 120.0) -> None:
    """Commit offset 0 on every partition of `topic` for `group`. The stopped member may still hold the group for a
    moment (the broker answers UnknownMemberId / a rebalance until its leave is processed): retry until it is free."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        consumer = AIOKafkaConsumer(bootstrap_servers=get_settings().kafka_bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
            consumer.assign(partitions)
            await consumer.commit({tp: OffsetAndMetadata(0, "") for tp in partitions})
            return
        except (CommitFailedError, UnknownMemberIdError, RebalanceInProgressError, IllegalGenerationError):
            if asyncio.get_running_loop().time() > deadline:
                raise
        finally:
            await consumer.stop()
        await asyncio.sleep(1)


@pytest.fixture
def environment(postgres_url, kafka_bootstrap, tmp_path):
    sms_file = tmp_path / "sms.jsonl"
    with notify_environment(postgres_url, kafka_bootstrap, sms_file):
        yield sms_file


def duplicates_skipped() -> float:
    """Events notify's inbox recognised as already handled, in this process so far."""
    return sum(
        EVENTS_CONSUMED.labels("notify", kind, "duplicate")._value.get() for kind in ("TicketFiled", "TicketResolved")
    )


def all_messages(client) -> list[dict]:  # noqa: ANN001
    found: list[dict] = []
    while True:
        page = client.get("/messages", headers=ADMIN, params={"limit": 500, "offset": len(found)}).json()
        found += page
        if len(page) < 500:
            return found


def test_events_redelivered_after_a_restart_mid_batch_send_nothing_twice(environment):
    sms_file = environment
    client = start_notify()
    try:
        assert client.put("/me/notify-settings", headers=RESIDENT, json={"channels": ["sms"], "phone": PHONE}).status_code == 200
        tickets = [new_ticket_id() for _ in range(TICKETS_IN_BATCH)]
        events = []
        for ticket_id in tickets:
            events.append(TicketFiled(
                ticket_id=ticket_id, actor=SYSTEM, title="路灯不亮", description="小区路灯坏了", category="road",
                community_id="xinran", reporter_id="resident1",
            ))
            events.append(TicketResolved(ticket_id=ticket_id, actor=SYSTEM, department_id="urban", note="已更换灯泡"))
        publish_events(*events)
        eventually(lambda: len(all_messages(client)) >= 5, interval=0.05)  # stopped while the batch is under way
    finally:
        client.__exit__(None, None, None)

    asyncio.run(rewind_group(consumer_group("notify"), topic_name(TICKETS)))  # every event will be delivered again
    skipped_before = duplicates_skipped()
    client = start_notify()
    try:
        # per ticket: filed → resident1 inbox + SMS, xinran_staff inbox; resolved → resident1 inbox + SMS
        expected = 5 * TICKETS_IN_BATCH
        log = eventually(lambda: (found := all_messages(client)) and len(found) >= expected
                         and all(m["status"] == "sent" for m in found) and found, timeout=180)
        assert len(log) == expected
        # every event came again, and each was recognised (the events handled before the stop, at least)
        eventually(lambda: duplicates_skipped() - skipped_before >= 5)
        assert Counter((m["event_id"], m["person_id"], m["channel"]) for m in log).most_common(1)[0][1] == 1

        texts = [t for t in sms_texts(sms_file, PHONE) if any(ticket_id in t for ticket_id in tickets)]
        assert len(texts) == 2 * TICKETS_IN_BATCH and len(set(texts)) == len(texts)
        mine = client.get("/inbox", headers=RESIDENT, params={"limit": 100}).json()
        assert mine["total"] == 2 * TICKETS_IN_BATCH
        assert Counter((i["ticket_id"], i["template"]) for i in mine["items"]).most_common(1)[0][1] == 1
        staff = client.get("/inbox", headers=bearer("community_staff", "xinran_staff", community_id="xinran")).json()
        assert staff["total"] == TICKETS_IN_BATCH
    finally:
        client.__exit__(None, None, None)
