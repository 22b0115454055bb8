"""`whistle_overdue_tickets{street, community}` on dispatch's /metrics: open tickets past a running deadline now
(the console's 超期 filter: `next_due` passed, not suspended), counted at scrape time from dispatch's ticket table,
so Prometheus can alert on overdue tickets per street (deploy/prometheus/rules/whistle.yml). One query per scrape
(indexed `next_due`); the collector reads the most recently started dispatch app of the process."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlmodel import Session, col, select

from libs.directory import get_directory
from libs.observability import get_logger
from services.dispatch.models import DispatchTicket

log = get_logger(__name__)


class OverdueCollector:
    def __init__(self) -> None:
        self.runtime: Any = None

    def describe(self) -> list:
        return []  # nothing to query at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "whistle_overdue_tickets", "Open tickets past a running deadline now (not suspended)", labels=["service", "street", "community"]
        )
        engine = getattr(self.runtime, "engine", None)
        if engine is not None:
            try:
                with Session(engine) as session:
                    rows = session.exec(
                        select(DispatchTicket.community_id, func.count())
                        .where(col(DispatchTicket.next_due) < datetime.now(timezone.utc))
                        .where(col(DispatchTicket.suspended).is_(False))
                        .group_by(DispatchTicket.community_id)
                    ).all()
                directory = get_directory()
                for community_id, count in rows:
                    family.add_metric(["dispatch", directory.street_of(community_id) or "", community_id], count)
            except Exception as exc:  # noqa: BLE001 - a scrape never fails for the database: the gauge is just absent
                log.warning("overdue_metric_failed", error=str(exc))
        yield family


COLLECTOR = OverdueCollector()
REGISTRY.register(COLLECTOR)


def watch(runtime: Any) -> None:
    COLLECTOR.runtime = runtime
