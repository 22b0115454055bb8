"""Temporal down (SIGKILL of the dev server) while tickets are filed: the worker's bridge holds the events, retries
with backoff and says so — /readyz 503, `whistle_consumer_blocked` 1 and `whistle_consumer_lag_seconds` growing on
its /metrics (what the WhistleTicketBridgeBehind and WhistleConsumerBlocked alerts watch) — and dead-letters
nothing. Temporal restarted on the same port and data: the same worker process, never restarted, starts every
ticket's workflow exactly once, and its lag returns to 0 and /readyz to 200.

Its own Temporal dev server with a database file (the session's is in memory and shared), real Kafka."""
from __future__ import annotations

import asyncio
import json
import signal
import uuid
from functools import partial
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from temporalio.client import Client, WorkflowExecutionStatus

from deploy.procs import free_port, stop_processes
from deploy.stack import start_temporal, wait_temporal
from libs.events import Actor, TicketRated, encode_event
from tests.integration.bridge_helpers import (
    committed_offset, gauge, http_get, log_records, new_ticket, start_worker, until, wait_consuming, worker_env,
)

pytestmark = pytest.mark.timeout(900)  # two Temporal start-ups and a worker's on a loaded machine

TICKETS_DURING_OUTAGE = 5
LAG_SEEN_S = 5.0  # the lag gauge must be seen to grow past this during the outage (it has no upper bound to race)


async def test_temporal_down_blocks_the_bridge_visibly_and_after_its_restart_every_ticket_gets_one_workflow(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    port, metrics_port = free_port(), free_port()
    address, db_file = f"127.0.0.1:{port}", tmp_path / "temporal.db"
    temporal = start_temporal(port, tmp_path / "temporal-1.log", db_file=db_file)
    restarted = None
    prefix = f"td{uuid.uuid4().hex[:8]}."
    topic, group = f"{prefix}tickets", f"{prefix}workflows"
    env = worker_env(kafka_bootstrap, address, prefix, WORKER_METRICS_PORT=str(metrics_port))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    worker = None
    metrics_url, ready_url = f"http://127.0.0.1:{metrics_port}/metrics", f"http://127.0.0.1:{metrics_port}/readyz"

    def bridge_gauge(name: str) -> float | None:
        status, text = http_get(metrics_url)
        return gauge(text, name, service="workflows", group=group) if status == 200 else None

    async def send(ticket) -> tuple[int, int]:  # noqa: ANN001
        sent = await producer.send_and_wait(topic, encode_event(ticket), key=ticket.ticket_id.encode())
        return sent.partition, sent.offset

    try:
        await asyncio.to_thread(wait_temporal, temporal, address, 180)
        await producer.send_and_wait(topic, encode_event(TicketRated(
            ticket_id="T-warm-up", actor=Actor(role="resident", id="r-0"), satisfaction="satisfied", solved=True)))
        worker = start_worker("worker", env, tmp_path / "worker.log")
        await wait_consuming(worker)
        await until(lambda: http_get(ready_url)[0] == 200, "the worker's /readyz to answer 200", worker=worker)
        client = await Client.connect(address)
        before = new_ticket()
        await send(before)
        first_run = await until(partial(_running, client, before.ticket_id), "the first ticket's workflow", worker=worker)

        temporal.signal(signal.SIGKILL)
        assert await asyncio.to_thread(temporal.wait, 30), "kill -9 did not stop Temporal"
        # Before any event arrives the idle bridge cannot notice; the health probe does: not ready, naming Temporal.
        await until(lambda: http_get(ready_url)[0] == 503 and '"temporal":' in http_get(ready_url)[1],
                    "/readyz naming Temporal while the bridge is idle", worker=worker)
        tickets = [new_ticket() for _ in range(TICKETS_DURING_OUTAGE)]
        last = None
        for ticket in tickets:
            last = await send(ticket)

        # The outage is visible: blocked, not ready, a lag that grows; the bridge backs off between attempts.
        await until(lambda: bridge_gauge("whistle_consumer_blocked") == 1, "whistle_consumer_blocked = 1", worker=worker)
        await until(lambda: (bridge_gauge("whistle_consumer_lag_seconds") or 0) > LAG_SEEN_S, f"a lag over {LAG_SEEN_S} s", worker=worker)
        status, body = http_get(ready_url)
        assert status == 503 and json.loads(body)["status"] == "not ready" and "bridge" in json.loads(body)["problems"], body
        waits = await until(lambda: _waits(worker) if len(_waits(worker)) >= 4 else None, "four retries", worker=worker)
        delays = [w["retry_in_s"] for w in waits]
        assert delays == sorted(delays) and delays[0] < delays[-1] and max(delays) <= 5.0, f"no backoff: {delays}"
        assert all(w["attempt"] == i + 1 for i, w in enumerate(waits[:4])), waits[:4]
        assert not any(r.get("event") == "event_dead_lettered" for r in log_records(worker)), "an event was dead-lettered"
        assert worker.alive(), worker.tail(60)

        restarted = start_temporal(port, tmp_path / "temporal-2.log", db_file=db_file)
        await asyncio.to_thread(wait_temporal, restarted, address, 180)
        client = await Client.connect(address)
        for ticket in tickets:
            await until(partial(_running, client, ticket.ticket_id), f"{ticket.ticket_id}'s workflow", worker=worker)
        assert await _running(client, before.ticket_id) == first_run, "the workflow started before the outage survived it"
        for ticket in [before, *tickets]:
            runs = await until(partial(_runs, client, ticket.ticket_id), f"{ticket.ticket_id} listed", worker=worker)
            assert len(runs) == 1, f"{ticket.ticket_id} has {len(runs)} workflow runs: {runs}"

        # Recovered: caught up, ready, everything committed, the same worker process throughout.
        await until(lambda: bridge_gauge("whistle_consumer_blocked") == 0, "whistle_consumer_blocked = 0", worker=worker)
        await until(lambda: bridge_gauge("whistle_consumer_lag_seconds") == 0, "the lag back to 0", worker=worker)
        await until(lambda: http_get(ready_url)[0] == 200, "/readyz 200 again", worker=worker)
        assert last is not None
        partition, offset = last
        assert (await committed_offset(kafka_bootstrap, group, topic, partition) or 0) > offset
        assert not any(r.get("event") == "event_dead_lettered" for r in log_records(worker))
        assert worker.alive(), worker.tail(60)
    finally:
        await producer.stop()
        if worker is not None:  # the worker first, while its Temporal still answers
            await asyncio.to_thread(stop_processes, [worker], grace=15)
        await asyncio.to_thread(stop_processes, [p for p in (restarted, temporal) if p is not None], grace=15)


async def _running(client: Client, workflow_id: str) -> str | None:
    """The run id of the workflow if it is running (None if it does not exist yet or Temporal does not answer)."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except Exception:  # noqa: BLE001 - not started yet, or the server is still starting
        return None
    return description.run_id if description.status == WorkflowExecutionStatus.RUNNING else None


async def _runs(client: Client, workflow_id: str) -> list[str] | None:
    """Every run of the workflow id that visibility lists (eventually consistent: None until it lists one)."""
    try:
        runs = [w.run_id async for w in client.list_workflows(f'WorkflowId = "{workflow_id}"')]
    except Exception:  # noqa: BLE001 - the server is still starting
        return None
    return runs or None


def _waits(worker) -> list[dict]:  # noqa: ANN001
    """The bridge's `event_handler_waiting_for_infrastructure` lines of its current outage, in order."""
    return [r for r in log_records(worker) if r.get("event") == "event_handler_waiting_for_infrastructure"]
