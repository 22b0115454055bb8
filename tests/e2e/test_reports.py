"""Temporal Schedules: the daily overdue digest and the monthly ranking snapshot reach Kafka as events."""
from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from aiokafka import AIOKafkaConsumer
from temporalio.client import Client

from libs.events import REPORTS, topic_name
from tests.e2e.test_ticket_life import CONVERGE_TIMEOUT, DEADLINE_TIMEOUT, LEADER, RESIDENT, auth, eventually, find
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
        deadline = loop.time() + CONVERGE_TIMEOUT
        while loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = json.loads(record.value)
                    if want(event):
                        return event
    finally:
        await consumer.stop()
    raise AssertionError(f"no matching report from {schedule_id} within {CONVERGE_TIMEOUT:.0f} s")


def file_as_resident(stack, http: httpx.Client, title: str, category: str) -> str:
    filed = http.post(
        f"{stack.urls['intake']}/tickets",
        headers={**auth(RESIDENT), "Idempotency-Key": uuid.uuid4().hex},
        json={"title": title, "description": f"{title}，请尽快处理", "category": category},
    )
    assert filed.status_code == 201, filed.text
    return filed.json()["id"]


def rank_xinran(stack, http: httpx.Client) -> None:
    """File a ticket in the resident's community (xinran) and wait until the dashboard ranks that community, so a
    ranking snapshot triggered afterwards has at least that entry, whichever tests ran before (or none)."""
    file_as_resident(stack, http, "小区健身器材损坏", "road")  # road: no deadline passes during a test

    def ranked():
        rows = http.get(f"{stack.urls['dashboard']}/rankings", headers=auth(LEADER), params={"by": "community"}).json()
        return any(r["scope"] == "community:xinran" and r["filed"] >= 1 for r in rows)

    eventually(ranked, what="the dashboard ranking community:xinran")


def test_the_daily_digest_lists_an_escalated_ticket_for_its_community(stack, deadline_categories):
    urls = stack.urls
    with httpx.Client(timeout=30) as http:
        # Nobody dispatches it, and in this category dispatch is due 4 s after filing.
        ticket_id = file_as_resident(stack, http, "楼道堆物", deadline_categories["dispatch"])
        eventually(
            lambda: find(http.get(f"{urls['dashboard']}/escalated", headers=auth(LEADER)).json(), ticket_id),
            timeout=DEADLINE_TIMEOUT,
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
    with httpx.Client(timeout=30) as http:
        rank_xinran(stack, http)
    # The reports topic is read from the start, so an earlier run's snapshot may come first: wait for one that
    # ranks xinran (every run after rank_xinran() does).
    snapshot = asyncio.run(
        trigger_and_collect(
            stack,
            RANKING_SCHEDULE_ID,
            lambda e: e["type"] == "RankingSnapshot" and e["scope"] == "community"
            and any(x["scope"] == "community:xinran" for x in e["entries"]),
        )
    )
    assert snapshot["month"]
    scopes = [entry["scope"] for entry in snapshot["entries"]]
    assert "community:xinran" in scopes and all(scope.startswith("community:") for scope in scopes), scopes
