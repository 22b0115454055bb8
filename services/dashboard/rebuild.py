"""Rebuild the dashboard's read models from the topics, from offset zero: every ticket and report event is applied again,
through the same handlers and the same idempotent inbox as the live consumer, so the result equals the incremental one
(a redelivered event is applied once); records are applied a batch per transaction (batch.py). Admin state (score weights, topics of the month) is not a read model and is kept.

    python -m services.dashboard.rebuild [--database-url URL]

Build into a fresh database (DASHBOARD_DATABASE_URL of a stopped replica, or --database-url) and point the service at
it, or stop the dashboard and rebuild in place: its read-model tables are emptied first. Reads each partition up to its
end offset as the rebuild starts; events published meanwhile are read by the live consumer afterwards."""
from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session

from libs.db import make_engine, migrate
from libs.events.topics import consumer_group
from libs.events import REPORTS, TICKETS, EventDecodeError, decode_event, topic_name
from libs.events.topics import POINTS, WISHES
from libs.messaging.inbox import InboxEntry
from libs.observability import get_logger
from libs.settings import get_settings
from services.dashboard.batch import apply_batch
from services.dashboard.consumers import HANDLERS
from services.dashboard.models import (
    DashboardCounter,
    DashboardDaily,
    DashboardOverdueDigest,
    DashboardRankingSnapshot,
    DashboardTicket,
)
from services.dashboard.summons import DashboardSummonsDepartment
from services.dashboard.wishes import DashboardWish, DashboardWishVolunteerDay

log = get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = "dashboard"  # the live consumer's group (consumer_group(SERVICE)): the inbox rows it writes are the same
READ_MODELS = (DashboardTicket, DashboardDaily, DashboardCounter, DashboardRankingSnapshot, DashboardOverdueDigest,
               DashboardSummonsDepartment,  # 吹哨报到 per summoned department (summons.py)
               DashboardWish, DashboardWishVolunteerDay)  # 微心愿 (wishes.py)
TOPICS = (TICKETS, REPORTS, WISHES, POINTS)


def clear_read_models(engine: Engine) -> None:
    with Session(engine) as session:
        for table in READ_MODELS:
            session.execute(delete(table))
        session.execute(delete(InboxEntry).where(InboxEntry.consumer == consumer_group(SERVICE)))
        session.commit()


async def rebuild(database_url: str, bootstrap: str, *, batch: int = 2000) -> dict[str, int]:
    """Empty the read models of `database_url` and apply every event of the topics; how many were applied, skipped
    (already applied: redelivered) and undecodable."""
    await asyncio.to_thread(migrate, database_url, MIGRATIONS)
    engine = make_engine(database_url)
    await asyncio.to_thread(clear_read_models, engine)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", client_id="dashboard-rebuild", max_poll_records=batch)
    await consumer.start()
    counts = {"applied": 0, "duplicate": 0, "undecodable": 0, "ignored": 0}
    try:
        partitions = []
        for topic in TOPICS:
            for partition in sorted(await _partitions(consumer, topic_name(topic))):
                partitions.append(TopicPartition(topic_name(topic), partition))
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            records = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch)
            raw = [record.value or b"" for tp, items in records.items() for record in items if record.offset < ends[tp]]
            if raw:
                await asyncio.to_thread(_apply, engine, raw, counts)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
        engine.dispose()
    log.info("dashboard_rebuilt", **counts)
    return counts


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    """The topic's partitions (none when it does not exist yet); the metadata may take a moment to arrive."""
    for _ in range(50):
        found = consumer.partitions_for_topic(topic)
        if found:
            return found
        await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
        if topic not in await consumer.topics():
            return set()
    return set()


def _apply(engine: Engine, raw: list[bytes], counts: dict[str, int]) -> None:
    """One batch of records in one transaction (batch.py: the same handlers and inbox, figures summed per row)."""
    events = []
    for value in raw:
        try:
            events.append(decode_event(value))
        except EventDecodeError:
            counts["undecodable"] += 1  # the live consumer dead-lettered it too
    for key, value in apply_batch(engine, consumer_group(SERVICE), events, HANDLERS).items():
        counts[key] += value


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild the dashboard's read models from the topics (offset zero)")
    parser.add_argument("--database-url", help="the database to rebuild (default: the dashboard's)")
    args = parser.parse_args()
    settings = get_settings()
    counts = asyncio.run(rebuild(args.database_url or settings.database_url_for("dashboard"), settings.kafka_bootstrap))
    print(f"rebuilt: {counts}")


if __name__ == "__main__":
    main()
