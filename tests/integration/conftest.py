"""Fixtures shared by the integration tests that run the services in-process on real PostgreSQL and Kafka."""
from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from libs.auth import Principal, mint_token
from libs.events import Envelope
from libs.messaging import make_producer, publish
from libs.settings import get_settings

SERVICES = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify")


@pytest.fixture(scope="module")
def service_clients(postgres_url, kafka_bootstrap):
    """Every service app in-process (consumers and relays running) on fresh databases and its own topic prefix."""
    mp = pytest.MonkeyPatch()
    run = uuid.uuid4().hex[:6]
    base, _, name = postgres_url.rpartition("/")
    mp.setenv("DATABASE_URL", f"{base}/{name}_it{run}")
    mp.setenv("KAFKA_BOOTSTRAP", kafka_bootstrap)
    mp.setenv("TOPIC_PREFIX", f"it{run}.")
    get_settings.cache_clear()
    opened: dict[str, TestClient] = {}
    try:
        for service in SERVICES:
            client = TestClient(importlib.import_module(f"services.{service}.app").create_app())
            client.__enter__()
            opened[service] = client
        yield opened
    finally:
        for client in opened.values():
            client.__exit__(None, None, None)
        mp.undo()
        get_settings.cache_clear()


async def publish_all(bootstrap: str, events: Iterable[Envelope], client_id: str = "tests") -> None:
    """Put `events` on their topics, in order, each after the broker acknowledged the one before (as a relay would)."""
    producer = make_producer(bootstrap, client_id)
    await producer.start()
    try:
        for event in events:
            await publish(producer, event, service=client_id)
    finally:
        await producer.stop()


def bearer(role: str, sub: str, **scope: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(Principal(sub=sub, role=role, **scope))}"}


def eventually(probe: Callable[[], Any], timeout: float = 120.0, interval: float = 0.2) -> Any:
    """The first truthy result of `probe`; generous for a loaded 2-core machine (a failing test waits it out)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last result: {result!r}")
        time.sleep(interval)
