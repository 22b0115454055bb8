"""Report activities: read the dashboard's documented API, publish one event per scope with a deterministic id."""
from __future__ import annotations

from collections import defaultdict

import httpx
from aiokafka import AIOKafkaProducer
from temporalio import activity

from libs.auth import Principal, mint_token
from libs.events import (
    Actor,
    OverdueDigest,
    OverdueItem,
    RankingEntry,
    RankingSnapshot,
    deterministic_event_id,
    encode_event,
    topic_name,
)
from libs.observability import EVENTS_PRODUCED, get_logger

log = get_logger(__name__)

ACTOR = Actor(role="system", id="workflows")
REPORTER = Principal(sub="workflows-reports", role="leader", name="定时报表")


class ReportActivities:
    def __init__(self, producer: AIOKafkaProducer, dashboard_url: str) -> None:
        self.producer = producer
        self.dashboard_url = dashboard_url.rstrip("/")

    async def _get(self, path: str, **params: str) -> list[dict]:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(
                f"{self.dashboard_url}{path}",
                params=params,
                headers={"Authorization": f"Bearer {mint_token(REPORTER, ttl_seconds=300)}"},
            )
            response.raise_for_status()
            return response.json()

    async def _send(self, event) -> None:  # noqa: ANN001
        await self.producer.send_and_wait(topic_name(event.topic), value=encode_event(event), key=event.key.encode())
        EVENTS_PRODUCED.labels("workflows", event.type).inc()

    @activity.defn(name="publish_overdue_digest")
    async def publish_overdue_digest(self, day: str) -> int:
        """One OverdueDigest per community and per department that has escalated open tickets; returns how many."""
        tickets = await self._get("/escalated", limit="500")
        by_scope: dict[str, list[OverdueItem]] = defaultdict(list)
        for t in tickets:
            item = OverdueItem(ticket_id=t["id"], title=t["title"], status=t["status"], escalation_level=t["escalation_level"])
            by_scope[f"community:{t['community_id']}"].append(item)
            if t.get("department_id"):
                by_scope[f"department:{t['department_id']}"].append(item)
        for scope, items in sorted(by_scope.items()):
            await self._send(
                OverdueDigest(
                    event_id=deterministic_event_id("overdue-digest", scope, day),
                    actor=ACTOR,
                    scope=scope,
                    day=day,
                    tickets=tuple(sorted(items, key=lambda i: (-i.escalation_level, i.ticket_id))),
                )
            )
        log.info("overdue_digest_published", day=day, scopes=len(by_scope), tickets=len(tickets))
        return len(by_scope)

    @activity.defn(name="publish_ranking_snapshot")
    async def publish_ranking_snapshot(self, month: str) -> int:
        """One RankingSnapshot each for communities, departments and categories."""
        for kind in ("community", "department", "category"):
            rows = await self._get("/rankings", by=kind)
            entries = tuple(
                RankingEntry(
                    scope=row["scope"],
                    filed=row["filed"],
                    response_rate=row["rates"]["response_rate"],
                    closure_rate=row["rates"]["closure_rate"],
                    satisfaction_rate=row["rates"]["satisfaction_rate"],
                )
                for row in rows
            )
            await self._send(
                RankingSnapshot(
                    event_id=deterministic_event_id("ranking-snapshot", kind, month),
                    actor=ACTOR,
                    scope=kind,
                    month=month,
                    entries=entries,
                )
            )
        log.info("ranking_snapshot_published", month=month)
        return 3
