"""Report activities: read the dashboard's documented API, publish one event per scope with a deterministic id."""
from __future__ import annotations

from collections import defaultdict

import httpx
from aiokafka import AIOKafkaProducer
from temporalio import activity

from libs.auth import Principal, mint_token
from libs.directory import get_directory
from libs.events import Actor, OverdueDigest, OverdueItem, RankingEntry, RankingSnapshot, deterministic_event_id
from libs.messaging import publish
from libs.observability import get_logger

log = get_logger(__name__)

SERVICE = "workflows"
ACTOR = Actor(role="system", id=SERVICE)
REPORTER = Principal(sub="workflows-reports", role="leader", name="定时报表")
Report = type[OverdueDigest] | type[RankingSnapshot]
# Each report's event id is (prefix, scope, period), so a retried activity re-sends the same events.
ID_PREFIX: dict[Report, str] = {OverdueDigest: "overdue-digest", RankingSnapshot: "ranking-snapshot"}


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

    async def _publish(self, report: Report, scope: str, period: str, **fields: object) -> None:
        event = report(event_id=deterministic_event_id(ID_PREFIX[report], scope, period), actor=ACTOR, scope=scope, **fields)
        await publish(self.producer, event, service=SERVICE)

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
            tickets_by_level = tuple(sorted(items, key=lambda i: (-i.escalation_level, i.ticket_id)))
            await self._publish(OverdueDigest, scope, day, day=day, tickets=tickets_by_level)
        log.info("overdue_digest_published", day=day, scopes=len(by_scope), tickets=len(tickets))
        return len(by_scope)

    @activity.defn(name="publish_ranking_snapshot")
    async def publish_ranking_snapshot(self, month: str) -> int:
        """One RankingSnapshot each for communities, departments and categories."""
        for kind in ("community", "department", "category"):
            rows = await self._get("/rankings", by=kind, period="month", date=f"{month}-01")  # that month's tickets
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
            # Every community, department and category is ranked, those without a ticket that month last with 0.
            ranked = {entry.scope for entry in entries}
            entries += tuple(
                RankingEntry(scope=scope, filed=0, response_rate=None, closure_rate=None, satisfaction_rate=None)
                for scope in _every_scope(kind) if scope not in ranked
            )
            await self._publish(RankingSnapshot, kind, month, month=month, entries=entries)
        log.info("ranking_snapshot_published", month=month)
        return 3


def _every_scope(kind: str) -> list[str]:
    """The district's communities, departments or categories as ranking scopes (the directory's current version)."""
    directory = get_directory()
    things = {"community": directory.communities, "department": directory.departments, "category": directory.categories}[kind]
    return sorted(f"{kind}:{thing.id}" for thing in things)
