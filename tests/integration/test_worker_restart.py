"""A worker process killed mid-wait (kill -9, no goodbye) loses nothing: the ticket's timer lives in Temporal, and
a new worker process publishes the escalation on time."""
from __future__ import annotations

import json

import asyncio
import os
import signal
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from temporalio.client import Client
from temporalio.service import RPCError

from deploy.procs import ManagedProcess, stop_processes
from libs.events import Actor, DeadlineWarned, TicketEscalated, TicketFiled, TicketRated, decode_event, encode_event

REPO_ROOT = Path(__file__).resolve().parents[2]
DISPATCH_S = 8
KILL_AFTER_S = 2  # after the workflow started: mid-wait, before the warning at DISPATCH_S / 2
# The escalation may reach Kafka this long after its deadline, or after the replacement worker is up if that came
# later: a loaded machine may take ten seconds to start a worker, and the test does not race that clock.
ON_TIME = timedelta(seconds=3)


def seconds_policy(path: Path) -> Path:
    span = lambda s: {"amount": s, "unit": "seconds"}  # noqa: E731
    stages = {"dispatch": span(DISPATCH_S), "accept": span(60), "contact": span(60), "resolve": span(120), "rating": span(120)}
    doc = {
        "version": 1,
        "warning_fraction": 0.5,
        "ladder": {"level2_after": span(60), "level3_after": span(60)},
        "joint_on_site": span(60),
        "urgencies": {u: stages for u in ("emergency", "urgent", "ordinary", "complex")},
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def start_worker(name: str, env: dict[str, str], log: Path) -> ManagedProcess:
    return ManagedProcess(name, [sys.executable, "-m", "workflows.worker"], log, env=env, cwd=REPO_ROOT).start()


async def wait_started(worker: ManagedProcess, timeout: float = 60) -> None:
    """Until the Temporal worker runs and its Kafka bridge has joined the consumer group (it joins second)."""
    deadline = time.monotonic() + timeout
    while "bridge_consuming" not in worker.tail(200):
        if not worker.alive():
            pytest.fail(f"{worker.name} exited:\n{worker.tail(60)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{worker.name} not started within {timeout}s:\n{worker.tail(60)}")
        await asyncio.sleep(0.1)


async def test_a_worker_killed_mid_wait_is_replaced_and_the_escalation_still_comes_on_time(
    kafka_bootstrap: str, temporal_address: str, tmp_path: Path
) -> None:
    prefix = f"r{uuid.uuid4().hex[:8]}."
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_TASK_QUEUE": f"ticket-lifecycle-{prefix}",
        "TOPIC_PREFIX": prefix,
        "SLA_POLICY_FILE": str(seconds_policy(tmp_path / "policy.yaml")),
        "WORKER_METRICS_PORT": "0",
    }
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    # Create the topic before the worker subscribes: a consumer learns of a topic created later only on its next
    # metadata refresh, which under load can eat the seconds this test needs before the kill.
    warm_up = TicketRated(ticket_id="T-warm-up", actor=Actor(role="resident", id="r-0"), satisfaction="satisfied", solved=True)
    await producer.send_and_wait(f"{prefix}tickets", encode_event(warm_up), key=b"T-warm-up")
    first = start_worker("worker-1", env, tmp_path / "worker-1.log")
    second: ManagedProcess | None = None
    consumer = AIOKafkaConsumer(
        f"{prefix}tickets", bootstrap_servers=kafka_bootstrap, group_id=f"test-{prefix}", auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await wait_started(first)
        ticket = TicketFiled(
            ticket_id=f"T-{uuid.uuid4()}",
            actor=Actor(role="resident", id="resident-1"),
            title="路灯不亮",
            description="小区北门路灯坏了",
            category="lighting",
            community_id="C-1",
        )
        await producer.send_and_wait(f"{prefix}tickets", encode_event(ticket), key=ticket.ticket_id.encode())
        due = ticket.occurred_at + timedelta(seconds=DISPATCH_S)

        handle = (await Client.connect(temporal_address)).get_workflow_handle(ticket.ticket_id)
        for _ in range(400):  # the first worker's bridge started the workflow (after joining the consumer group)
            try:
                await handle.describe()
                break
            except RPCError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail(f"no workflow started; worker log:\n{first.tail(60)}")
        await asyncio.sleep(KILL_AFTER_S)
        assert datetime.now(timezone.utc) < ticket.occurred_at + timedelta(seconds=DISPATCH_S / 2), "killed too late"
        first.signal(signal.SIGKILL)
        assert await asyncio.to_thread(first.wait, 10), "kill -9 did not stop the worker"
        killed_at = datetime.now(timezone.utc)
        second = start_worker("worker-2", env, tmp_path / "worker-2.log")

        received: dict[str, tuple[object, datetime]] = {}

        async def until_escalated() -> None:
            async for record in consumer:
                event = decode_event(record.value)
                if isinstance(event, (DeadlineWarned, TicketEscalated)) and event.ticket_id == ticket.ticket_id:
                    received.setdefault(event.type, (event, datetime.now(timezone.utc)))
                    if isinstance(event, TicketEscalated):
                        return

        try:
            await asyncio.wait_for(until_escalated(), timeout=DISPATCH_S + 60)
        except TimeoutError:
            pytest.fail(f"no escalation after the restart; new worker log:\n{second.tail(60)}")

        escalation, arrived = received["TicketEscalated"]
        timings = (
            f"filed {ticket.occurred_at.time()}, killed {killed_at.time()}, "
            f"second worker started {'worker_started' in second.tail(200)}, due {due.time()}, arrived {arrived.time()} "
            f"({(arrived - due).total_seconds():+.2f}s)"
        )
        assert (escalation.stage, escalation.level, escalation.deadline) == ("dispatch", 1, due), timings
        assert "DeadlineWarned" in received, f"the warning at half time was published too; {timings}"
        ready = worker_ready_at(second.tail(400)) or arrived
        assert due <= arrived <= max(due, ready) + ON_TIME, f"escalation late after a worker restart: {timings}\n{second.tail(40)}"
        assert second.alive(), second.tail(60)
    finally:
        await consumer.stop()
        await producer.stop()
        stop_processes([p for p in (second, first) if p is not None], grace=10)


def worker_ready_at(log_tail: str) -> datetime | None:
    """When the replacement worker logged `worker_started` (its JSON timestamp), if it has."""
    for line in log_tail.splitlines():
        if '"event": "worker_started"' in line:
            try:
                return datetime.fromisoformat(json.loads(line)["timestamp"].replace("Z", "+00:00"))
            except (ValueError, KeyError):
                return None
    return None
