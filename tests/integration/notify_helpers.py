"""Running the notify service in-process for a test module: its own PostgreSQL database and topic prefix, the
`tickets` topic created first, events published straight onto it (as the other services' relays would)."""
from __future__ import annotations

import asyncio
import contextlib
import importlib
import uuid
from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from fastapi.testclient import TestClient

from libs.events import TICKETS, Actor, Envelope, topic_name
from libs.settings import get_settings
from libs.sms import DevSmsSink
from services.notify.domain import BEIJING
from tests.integration.conftest import publish_all

SYSTEM = Actor(role="system", id="tests")
PARTITIONS = 3  # of the run's tickets topic


@contextlib.contextmanager
def notify_environment(postgres_url: str, kafka_bootstrap: str, sms_file: Path, **extra: str) -> Iterator[pytest.MonkeyPatch]:
    """Environment of one notify test module: fresh database, own topic prefix, fast retries, the SMS dev sink."""
    mp = pytest.MonkeyPatch()
    run = uuid.uuid4().hex[:6]
    base, _, name = postgres_url.rpartition("/")
    settings = {
        "DATABASE_URL": f"{base}/{name}_nt{run}", "KAFKA_BOOTSTRAP": kafka_bootstrap, "TOPIC_PREFIX": f"nt{run}.",
        "SMS_GATEWAY": "dev", "SMS_SINK_FILE": str(sms_file),
        "NOTIFY_RETRY_BASE_SECONDS": "0.2", "NOTIFY_RETRY_MAX_SECONDS": "1", "NOTIFY_MAX_ATTEMPTS": "3",
        "NOTIFY_POLL_SECONDS": "0.1", **extra,
    }
    for key, value in settings.items():
        mp.setenv(key, value)
    get_settings.cache_clear()
    asyncio.run(create_topic(kafka_bootstrap, topic_name(TICKETS)))
    try:
        yield mp
    finally:
        mp.undo()
        get_settings.cache_clear()


def daytime_clock(now: datetime | None = None):  # noqa: ANN201
    """A clock that runs with the real one but shows Beijing daytime: outside 08:00-21:00 Beijing it is moved
    forward to the next 10:00, so SMS is never held for quiet hours because CI happens to run at night (it did, at
    22:14 Beijing). Forward only: a message queued at real time is never in the clock's future."""
    real = now or datetime.now(timezone.utc)
    local = real.astimezone(BEIJING)
    offset = timedelta(0)
    if not 8 <= local.hour < 21:
        day = local.date() if local.hour < 8 else local.date() + timedelta(days=1)
        offset = datetime.combine(day, time(10), tzinfo=BEIJING) - local
    return lambda: datetime.now(timezone.utc) + offset


def start_notify() -> TestClient:
    """The notify app, started, its deliverer on `daytime_clock` (the quiet-hours test sets its own)."""
    client = TestClient(importlib.import_module("services.notify.app").create_app())
    client.__enter__()
    client.app.state.deliverer.clock = daytime_clock()
    return client


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    finally:
        await admin.close()


def publish_events(*events: Envelope) -> None:
    """Put `events` on the run's tickets topic, in order, and wait for the broker's acks."""

    asyncio.run(publish_all(get_settings().kafka_bootstrap, events, "notify-tests"))


def sms_texts(sms_file: Path, phone: str) -> list[str]:
    return [m.text for m in DevSmsSink(sms_file).messages(limit=10_000) if m.phone == phone]


def new_ticket_id() -> str:
    return f"T{datetime.now(timezone.utc):%m%d}-{uuid.uuid4().hex[:8]}"
