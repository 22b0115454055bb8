"""The lifecycle worker process end to end: TicketFiled on Kafka → workflow → DeadlineWarned and TicketEscalated back
on Kafka, a dispatch reaching the workflow through the bridge, a clean stop on SIGTERM."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from temporalio.client import Client

from deploy.procs import ManagedProcess, stop_processes
from libs.events import Actor, DeadlineWarned, TicketDispatched, TicketEscalated, TicketFiled, decode_event, encode_event
from workflows.ticket_lifecycle.workflows import TicketWorkflow

REPO_ROOT = Path(__file__).resolve().parents[2]
DISPATCH_S = 3


def seconds_policy(path: Path, dispatch_seconds: float) -> Path:
    """A policy file on clock seconds: `dispatch_seconds` to dispatch, warning at half, the rest generous."""
    span = lambda s: {"amount": s, "unit": "seconds"}  # noqa: E731
    stages = {"dispatch": span(dispatch_seconds), "accept": span(60), "contact": span(60), "resolve": span(120), "rating": span(120)}
    doc = {
        "version": 1,
        "warning_fraction": 0.5,
        "ladder": {"level2_after": span(30), "level3_after": span(30)},
        "joint_on_site": span(30),
        "urgencies": {u: stages for u in ("emergency", "urgent", "ordinary", "complex")},
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def worker_env(kafka_bootstrap: str, temporal_address: str, prefix: str, policy_file: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_TASK_QUEUE": f"ticket-lifecycle-{prefix}",
        "TOPIC_PREFIX": prefix,
        "SLA_POLICY_FILE": str(policy_file),
        "WORKER_METRICS_PORT": "0",
    }


def start_worker(name: str, env: dict[str, str], log: Path) -> ManagedProcess:
    return ManagedProcess(name, [sys.executable, "-m", "workflows.worker"], log, env=env, cwd=REPO_ROOT).start()


def filed() -> TicketFiled:
    return TicketFiled(
        ticket_id=f"T-{uuid.uuid4()}",
        actor=Actor(role="resident", id="resident-1"),
        title="井盖缺失",
        description="小区东门井盖丢了",
        category="roads",
        community_id="C-1",
    )


async def test_the_worker_warns_and_escalates_an_undispatched_ticket_on_kafka_and_stops_on_sigterm(
    kafka_bootstrap: str, temporal_address: str, tmp_path: Path
) -> None:
    prefix = f"w{uuid.uuid4().hex[:8]}."
    env = worker_env(kafka_bootstrap, temporal_address, prefix, seconds_policy(tmp_path / "policy.yaml", DISPATCH_S))
    worker = start_worker("worker", env, tmp_path / "worker.log")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    consumer = AIOKafkaConsumer(
        f"{prefix}tickets", bootstrap_servers=kafka_bootstrap, group_id=f"test-{prefix}", auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    try:
        ticket = filed()
        await producer.send_and_wait(f"{prefix}tickets", encode_event(ticket), key=ticket.ticket_id.encode())

        async def warning_then_escalation() -> tuple[DeadlineWarned, TicketEscalated]:
            warning = None
            async for record in consumer:
                event = decode_event(record.value)
                if isinstance(event, DeadlineWarned | TicketEscalated):  # published with the relay's headers
                    headers = dict(record.headers or [])
                    assert (headers.get("event_type"), headers.get("event_id")) == (event.type.encode(), str(event.event_id).encode())
                if isinstance(event, DeadlineWarned):
                    warning = event
                if isinstance(event, TicketEscalated):
                    assert warning is not None, "the warning comes before the escalation"
                    return warning, event
            raise AssertionError("consumer stopped")

        try:
            warning, escalation = await asyncio.wait_for(warning_then_escalation(), timeout=90)
        except TimeoutError:
            pytest.fail(f"no warning and escalation; worker log:\n{worker.tail(60)}")
        assert (warning.ticket_id, warning.stage) == (ticket.ticket_id, "dispatch")
        assert (escalation.ticket_id, escalation.stage, escalation.level) == (ticket.ticket_id, "dispatch", 1)
        assert escalation.deadline == ticket.occurred_at + timedelta(seconds=DISPATCH_S)
        assert escalation.actor == Actor(role="system", id="workflows")

        dispatch = TicketDispatched(
            ticket_id=ticket.ticket_id,
            actor=Actor(role="community_staff", id="staff-1"),
            community_id="C-1",
            department_id="D-roads",
            title=ticket.title,
            description=ticket.description,
            category=ticket.category,
        )
        await producer.send_and_wait(f"{prefix}tickets", encode_event(dispatch), key=ticket.ticket_id.encode())
        handle = (await Client.connect(temporal_address)).get_workflow_handle(ticket.ticket_id)
        for _ in range(150):
            current = await handle.query(TicketWorkflow.state)
            if current["stage"] == "awaiting_acceptance":
                break
            await asyncio.sleep(0.2)
        else:
            pytest.fail(f"dispatch never reached the workflow; worker log:\n{worker.tail(60)}")
        assert (current["department_id"], set(current["timers"])) == ("D-roads", {"accept", "resolve"})

        worker.signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30), "worker did not stop on SIGTERM"
        assert worker.returncode == 0, worker.tail(60)
    finally:
        await consumer.stop()
        await producer.stop()
        stop_processes([worker], grace=10)
