"""Helpers for the tests that kill the Kafka→Temporal bridge or its Temporal (test_bridge_kill.py,
test_bridge_temporal_down.py): a worker subprocess on its own topic prefix, its log, its committed offsets, the
ticket_event signals in a workflow's history, and its /metrics and /readyz."""
from __future__ import annotations

import asyncio
import inspect
import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from deploy.procs import ManagedProcess
from libs.events import Actor, TicketFiled

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_POLICY = REPO_ROOT / "config" / "sla_policy.test.yaml"  # every stage lasts 30 days: no deadline fires meanwhile
RESIDENT = Actor(role="resident", id="resident-1")


def worker_env(kafka_bootstrap: str, temporal_address: str, prefix: str, **extra: str) -> dict[str, str]:
    """A worker on its own topics, consumer group (prefix + "workflows") and task queue."""
    env = {k: v for k, v in os.environ.items() if k != "WHISTLE_TEST_BRIDGE_HALT"}
    return {
        **env,
        "PYTHONPATH": str(REPO_ROOT),
        "KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_TASK_QUEUE": f"ticket-lifecycle-{prefix}",
        "TOPIC_PREFIX": prefix,
        "SLA_POLICY_FILE": str(TEST_POLICY),
        "WORKER_METRICS_PORT": "0",
        "TEMPORAL_SDK_METRICS_PORT": "0",
        **extra,
    }


def start_worker(name: str, env: dict[str, str], log: Path) -> ManagedProcess:
    return ManagedProcess(name, [sys.executable, "-m", "workflows.worker"], log, env=env, cwd=REPO_ROOT).start()


def log_records(worker: ManagedProcess) -> list[dict[str, Any]]:
    """The worker's JSON log lines (structlog), oldest first."""
    records = []
    for line in worker.tail(100_000).splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def logged(worker: ManagedProcess, event: str, **fields: str) -> dict[str, Any] | None:
    return next((r for r in log_records(worker) if r.get("event") == event and all(r.get(k) == v for k, v in fields.items())), None)


async def until(condition: Callable[[], Any], what: str, timeout: float = 180.0, interval: float = 0.3, worker: ManagedProcess | None = None) -> Any:
    """Poll `condition` (sync, run in a thread, or async) until truthy; generous bounds for a loaded machine. A
    `worker` that exits meanwhile fails the test at once, with its log."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await condition() if inspect.iscoroutinefunction(condition) else await asyncio.to_thread(condition)
        if value:
            return value
        if worker is not None and not worker.alive():
            pytest.fail(f"{worker.name} exited while waiting for {what}:\n{worker.tail(60)}")
        if loop.time() > deadline:
            tail = f"\n{worker.name} log:\n{worker.tail(60)}" if worker is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {value!r}{tail}")
        await asyncio.sleep(interval)


async def wait_consuming(worker: ManagedProcess) -> None:
    """Until the Temporal worker runs and its bridge has joined the consumer group (it joins second)."""
    await until(lambda: logged(worker, "bridge_consuming"), f"{worker.name}'s bridge to consume", worker=worker)


async def committed_offset(bootstrap: str, group: str, topic: str, partition: int) -> int | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    found = [meta.offset for tp, meta in offsets.items() if (tp.topic, tp.partition) == (topic, partition) and meta.offset >= 0]
    return found[0] if found else None


def new_ticket(category: str = "lighting") -> TicketFiled:
    return TicketFiled(
        ticket_id=f"T-{uuid.uuid4()}", actor=RESIDENT, title="路灯不亮", description="小区北门路灯坏了", category=category,
        community_id="xinran",
    )


async def ticket_event_signals(handle: WorkflowHandle) -> list[tuple[int, str]]:
    """(history event id, the signal's event_id) of every `ticket_event` signal the workflow received, in order."""
    signals = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            attributes = event.workflow_execution_signaled_event_attributes
            if attributes.signal_name == "ticket_event":
                signals.append((event.event_id, json.loads(attributes.input.payloads[0].data)["event_id"]))
    return signals


async def last_task_completed(handle: WorkflowHandle) -> int:
    """The history id of the last completed workflow task (what a worker had processed by then)."""
    last = 0
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            last = event.event_id
    return last


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a local test URL
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def gauge(metrics_text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None
