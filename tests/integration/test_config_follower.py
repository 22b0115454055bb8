"""The one follower of the `config` topic (libs/messaging/config_topic.py) on the test Kafka: a process catches up on
what was published before it started, applies later publications as they come, skips what it cannot decode, and
keeps what it has through a broker it cannot reach. The worker's SLA source and the directory both follow it."""
from __future__ import annotations

import asyncio
import uuid

import pytest
import yaml
from aiokafka import AIOKafkaProducer

from libs.directory import live as directory_live
from libs.events import Actor, DirectoryPublished, SlaPolicyPublished, topic_name
from libs.events.topics import CONFIG
from libs.messaging.config_topic import start_following
from libs.settings import get_settings
from libs.sla.policy import default_policy_file
from tests.integration.conftest import publish_all
from tests.integration.notify_helpers import create_topic
from workflows.ticket_lifecycle.bridge import SlaSource

ADMIN = Actor(role="admin", id="admin")


@pytest.fixture
def config_topic(kafka_bootstrap, monkeypatch):
    """A topic prefix of this test's own: its config topic starts empty."""
    monkeypatch.setenv("TOPIC_PREFIX", f"cf{uuid.uuid4().hex[:6]}.")
    monkeypatch.setenv("KAFKA_BOOTSTRAP", kafka_bootstrap)
    get_settings.cache_clear()
    asyncio.run(create_topic(kafka_bootstrap, topic_name(CONFIG)))
    yield kafka_bootstrap
    get_settings.cache_clear()


def policy_event(version: int) -> SlaPolicyPublished:
    document = yaml.safe_load(default_policy_file().read_text(encoding="utf-8"))
    return SlaPolicyPublished(actor=ADMIN, policy_version=version, document={**document, "version": version})


async def send(bootstrap: str, *events) -> None:  # noqa: ANN002
    await publish_all(bootstrap, events, "config-tests")


async def until(check, timeout: float = 60.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not applied in time"
        await asyncio.sleep(0.1)


def test_a_follower_catches_up_then_applies_what_comes_and_skips_what_it_cannot_read(config_topic):
    async def run() -> None:
        await send(config_topic, policy_event(5))
        raw = AIOKafkaProducer(bootstrap_servers=config_topic)
        await raw.start()
        await raw.send_and_wait(topic_name(CONFIG), b"not an event")  # skipped, the follower goes on
        await raw.stop()

        sla, stop = SlaSource(), asyncio.Event()
        task = await sla.start_following(config_topic, stop)
        assert sla.policy.version == 5  # start_following returns once caught up: what was there is applied

        await send(config_topic, policy_event(6), policy_event(4))  # a newer version applies, an older one not
        await until(lambda: sla.policy.version == 6)
        await asyncio.sleep(1)
        assert sla.policy.version == 6
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(run())


def test_the_directory_follows_the_same_topic(config_topic):
    async def run() -> None:
        directory_live.reset_to_file()
        document = directory_live.current().model_dump(mode="json")
        stop = asyncio.Event()
        task = await directory_live.start_following(config_topic, stop)
        assert directory_live.in_force().version == 0
        await send(config_topic, DirectoryPublished(actor=ADMIN, directory_version=3, document=document, change="测试"))
        await until(lambda: directory_live.in_force().version == 3)
        assert directory_live.in_force().published_by == "admin"
        stop.set()
        await asyncio.wait_for(task, 10)
        directory_live.reset_to_file()

    asyncio.run(run())


def test_without_a_broker_the_follower_starts_on_what_it_has_and_keeps_trying(monkeypatch):
    monkeypatch.setattr("libs.messaging.config_topic.RETRY_SECONDS", 0.2)

    async def run() -> None:
        applied: list = []
        stop = asyncio.Event()
        started = asyncio.get_running_loop().time()
        task = await start_following("127.0.0.1:1", applied.append, stop, name="nowhere", catch_up_seconds=30)
        assert asyncio.get_running_loop().time() - started < 25  # the failure counts as caught up: start on the file
        assert not task.done() and applied == []
        await asyncio.sleep(1)
        assert not task.done()  # still trying
        stop.set()
        await asyncio.wait_for(task, 30)

    asyncio.run(run())


def test_an_applier_failing_on_one_publication_still_gets_the_ones_after_it(config_topic):
    async def run() -> None:
        seen: list[int] = []

        def apply(event) -> None:  # noqa: ANN001
            if event.policy_version == 2:
                raise RuntimeError("boom")
            seen.append(event.policy_version)

        await send(config_topic, policy_event(1), policy_event(2), policy_event(3))
        stop = asyncio.Event()
        task = await start_following(config_topic, apply, stop, name="failing-applier")
        assert seen == [1, 3]
        stop.set()
        await asyncio.wait_for(task, 10)
        assert seen == [1, 3]  # read once: the failure did not restart the follower from the topic's start

    asyncio.run(run())
