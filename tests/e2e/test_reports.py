"""Temporal Schedules: the daily overdue digest and the monthly ranking snapshot reach Kafka as events."""
from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from aiokafka import AIOKafkaConsumer
from temporalio.client import Client

from libs.events import REPORTS, topic_name
from tests.e2e.test_ticket_life import LEADER, RESIDENT, auth, eventually, find
from workflows.reports.schedules import DIGEST_SCHEDULE_ID, RANKING_SCHEDULE_ID


async def trigger_and_collect(stack, schedule_id: str, want) -> dict:
    """Trigger a schedule now and return the first report event on Kafka for which `want(event)` holds."""
    env = stack.env()
    client = await Client.connect(stack.temporal_address, namespace=env.get("TEMPORAL_NAMESPACE", "default"))
    prefix = env.get("TOPIC_PREFIX", "")
    consumer = AIOKafkaConsumer(f"{prefix}{REPORTS}", bootstrap_servers=stack.kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        await client.get_schedule_handle(schedule_id).trigger()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = json.loads(record.value)
                    if want(event):
                        return event
    finally:
        await consumer.stop()
    raise AssertionError(f"no matching report from {schedule_id} within 60 s")


def test_the_daily_digest_lists_an_escalated_ticket_for_its_community(stack):
    urls = stack.urls
    with httpx.Client(timeout=15) as http:
        filed = http.post(
            f"{urls['intake']}/tickets",
            headers={**auth(RESIDENT), "Idempotency-Key": uuid.uuid4().hex},
            json={"title": "楼道堆物", "description": "消防通道被堆满杂物", "category": "property"},
        )
        assert filed.status_code == 201, filed.text
        ticket_id = filed.json()["id"]
        eventually(
            lambda: find(http.get(f"{urls['dashboard']}/escalated", headers=auth(LEADER)).json(), ticket_id),
            timeout=90,
            what="escalation on the dashboard",
        )
    digest = asyncio.run(
        trigger_and_collect(
            stack,
            DIGEST_SCHEDULE_ID,
            lambda e: e["type"] == "OverdueDigest"
            and e["scope"] == "community:xinran"
            and any(t["ticket_id"] == ticket_id for t in e["tickets"]),
        )
    )
    assert digest["day"]


def test_the_monthly_ranking_snapshot_covers_communities(stack):
    snapshot = asyncio.run(
        trigger_and_collect(stack, RANKING_SCHEDULE_ID, lambda e: e["type"] == "RankingSnapshot" and e["scope"] == "community")
    )
    assert snapshot["month"]
    assert all(entry["scope"].startswith("community:") for entry in snapshot["entries"])
