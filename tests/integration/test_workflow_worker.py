"""The lifecycle worker process end to end: TicketFiled on Kafka → workflow → TicketEscalated back on Kafka."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from temporalio.client import Client

from deploy.procs import ManagedProcess, free_port, stop_processes
from libs.events import Actor, TicketDispatched, TicketEscalated, TicketFiled, decode_event, encode_event
from workflows.ticket_lifecycle.workflows import TicketWorkflow

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_the_worker_escalates_an_undispatched_ticket_on_kafka_and_stops_on_sigterm(
    kafka_bootstrap: str, temporal_address: str, tmp_path: Path
) -> None:
    prefix = f"w{uuid.uuid4().hex[:8]}."
    task_queue = f"ticket-lifecycle-{prefix}"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "TOPIC_PREFIX": prefix,
        "DISPATCH_TIMEOUT_SECONDS": "2",
        "WORKER_METRICS_PORT": str(free_port()),
    }
    worker = ManagedProcess(
        "worker", [sys.executable, "-m", "workflows.ticket_lifecycle.worker"], tmp_path / "worker.log", env=env, cwd=REPO_ROOT
    ).start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    consumer = AIOKafkaConsumer(
        f"{prefix}tickets", bootstrap_servers=kafka_bootstrap, group_id=f"test-{prefix}", auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    try:
        ticket = TicketFiled(
            ticket_id=f"T-{uuid.uuid4()}",
            actor=Actor(role="resident", id="resident-1"),
            title="井盖缺失",
            description="小区东门井盖丢了",
            category="roads",
            community_id="C-1",
        )
        await producer.send_and_wait(f"{prefix}tickets", encode_event(ticket), key=ticket.ticket_id.encode())

        async def first_escalation() -> TicketEscalated:
            async for record in consumer:
                event = decode_event(record.value)
                if isinstance(event, TicketEscalated):
                    return event
            raise AssertionError("consumer stopped")

        try:
            escalation = await asyncio.wait_for(first_escalation(), timeout=90)
        except TimeoutError:
            pytest.fail(f"no escalation; worker log:\n{worker.tail(60)}")
        assert (escalation.ticket_id, escalation.stage, escalation.level) == (ticket.ticket_id, "dispatch", 1)
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
        for _ in range(100):
            if (await handle.query(TicketWorkflow.state))["stage"] == "awaiting_acceptance":
                break
            await asyncio.sleep(0.2)
        else:
            pytest.fail(f"dispatch never reached the workflow; worker log:\n{worker.tail(60)}")

        worker.signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30), "worker did not stop on SIGTERM"
        assert worker.returncode == 0, worker.tail(60)
    finally:
        await consumer.stop()
        await producer.stop()
        stop_processes([worker], grace=10)
