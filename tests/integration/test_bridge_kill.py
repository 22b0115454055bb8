"""The Kafka→Temporal bridge killed (SIGKILL of the worker process) at the two points where a ticket event could be
lost or applied twice: after it was consumed but before the workflow was signalled, and after the signal but before
the offset was committed. A new worker in the same consumer group finishes the job, and the workflow applies each
event exactly once (it dedupes signals by event id), which its history and its `state` query show.

The kill is placed deterministically with the bridge's test-only fault point: WHISTLE_TEST_BRIDGE_HALT=
"before:<event class>" / "after:<event class>" (workflows/ticket_lifecycle/bridge.py `halted_for_tests`) halts the
bridge on that event, inside its handler, and logs `bridge_halted_for_test`; the test then kills the whole worker
with SIGKILL, as a crash would. Real Kafka, real Temporal dev server, every worker its own topic prefix and group.
"""
from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from temporalio.client import Client, WorkflowHandle

from deploy.procs import ManagedProcess, stop_processes
from libs.events import Actor, Event, TicketAccepted, TicketDispatched, TicketRated, encode_event
from tests.integration.bridge_helpers import (
    committed_offset, last_task_completed, logged, new_ticket, start_worker, ticket_event_signals, until, wait_consuming,
    worker_env,
)

pytestmark = pytest.mark.timeout(900)  # three worker start-ups and a group rebalance on a loaded machine

STAFF = Actor(role="community_staff", id="staff-1")
DEPT = Actor(role="department_staff", id="dept-1")


class Run:
    """One test's worker(s), topics and Temporal client."""

    def __init__(self, kafka_bootstrap: str, temporal_address: str, tmp_path: Path) -> None:
        self.kafka_bootstrap, self.temporal_address, self.tmp_path = kafka_bootstrap, temporal_address, tmp_path
        self.prefix = f"bk{uuid.uuid4().hex[:8]}."
        self.topic = f"{self.prefix}tickets"
        self.group = f"{self.prefix}workflows"  # libs.events.topics.consumer_group under this prefix
        self.workers: list[ManagedProcess] = []
        self.producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        self.client: Client | None = None

    async def __aenter__(self) -> Run:
        await self.producer.start()
        self.client = await Client.connect(self.temporal_address)
        # Create the topic before a worker subscribes (a later topic is seen only at its next metadata refresh).
        await self.send(TicketRated(ticket_id="T-warm-up", actor=Actor(role="resident", id="r-0"), satisfaction="satisfied", solved=True))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()
        await asyncio.to_thread(stop_processes, list(reversed(self.workers)), grace=10)

    async def worker(self, halt: str | None = None) -> ManagedProcess:
        extra = {"WHISTLE_TEST_BRIDGE_HALT": halt} if halt else {}
        name = f"worker-{len(self.workers) + 1}"
        worker = start_worker(name, worker_env(self.kafka_bootstrap, self.temporal_address, self.prefix, **extra), self.tmp_path / f"{name}.log")
        self.workers.append(worker)
        await wait_consuming(worker)
        return worker

    async def send(self, event: Event) -> tuple[int, int]:
        """Publish; (partition, offset) of the record."""
        sent = await self.producer.send_and_wait(self.topic, encode_event(event), key=event.ticket_id.encode())
        return sent.partition, sent.offset

    async def committed_past(self, at: tuple[int, int], worker: ManagedProcess) -> None:
        partition, offset = at

        async def past() -> bool:
            return (await committed_offset(self.kafka_bootstrap, self.group, self.topic, partition) or 0) > offset

        await until(past, f"the group to commit past offset {offset}", worker=worker)

    async def committed(self, at: tuple[int, int]) -> int | None:
        return await committed_offset(self.kafka_bootstrap, self.group, self.topic, at[0])

    async def state(self, handle: WorkflowHandle, worker: ManagedProcess, check: Any = bool) -> dict[str, Any]:
        """The workflow's `state` query once `check(state)` holds (a worker must be running to answer it)."""

        async def answer() -> dict[str, Any] | None:
            try:
                state = await handle.query("state", rpc_timeout=timedelta(seconds=20))
            except Exception:  # noqa: BLE001 - not started yet / task on a dead worker's sticky queue: ask again
                return None
            return state if check(state) else None

        return await until(answer, f"workflow {handle.id}'s state", worker=worker)

    async def file(self, worker: ManagedProcess) -> tuple[WorkflowHandle, str]:
        """A ticket whose workflow runs and whose TicketFiled is committed; (its handle, its run id)."""
        assert self.client is not None
        ticket = new_ticket()
        at = await self.send(ticket)
        handle = self.client.get_workflow_handle(ticket.ticket_id)
        await self.state(handle, worker, lambda s: s["stage"] == "awaiting_dispatch")
        await self.committed_past(at, worker)
        return handle, (await handle.describe()).run_id

    async def kill(self, worker: ManagedProcess) -> None:
        worker.signal(signal.SIGKILL)
        assert await asyncio.to_thread(worker.wait, 30), f"kill -9 did not stop {worker.name}"


def dispatched(ticket_id: str) -> TicketDispatched:
    return TicketDispatched(
        ticket_id=ticket_id, actor=STAFF, community_id="xinran", department_id="D-lighting", title="路灯不亮",
        description="小区北门路灯坏了", category="lighting",
    )


def timers(state: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Each running timer's deadline and cycle: a second application of an event would restart one (a new cycle)."""
    return {name: (t["deadline"], t["cycle"]) for name, t in state["timers"].items()}


async def test_a_bridge_killed_after_signalling_before_committing_re_signals_and_the_workflow_applies_the_event_once(
    kafka_bootstrap: str, temporal_address: str, tmp_path: Path
) -> None:
    async with Run(kafka_bootstrap, temporal_address, tmp_path) as run:
        first = await run.worker(halt="after:TicketDispatched")
        handle, run_id = await run.file(first)
        event = dispatched(handle.id)
        at = await run.send(event)
        await until(lambda: logged(first, "bridge_halted_for_test", halted_event_id=str(event.event_id)), "the halt after the signal", worker=first)

        # Signalled, not committed: the kill comes between the two.
        assert [e for _, e in await ticket_event_signals(handle)] == [str(event.event_id)]
        assert (await run.committed(at) or 0) <= at[1], "the halted event's offset must not be committed yet"
        before = await run.state(handle, first, lambda s: s["stage"] == "awaiting_acceptance")
        assert before["seen_events"] == 1 and {"accept", "resolve"} <= set(before["timers"]), before
        await run.kill(first)

        second = await run.worker()
        await run.committed_past(at, second)  # the new bridge was handed the uncommitted record and finished it
        assert logged(second, "event_handled", event_id=str(event.event_id), outcome="applied"), second.tail(40)
        signals = await until(partial(_signals_of, handle, str(event.event_id), 2), "the redelivered event's second signal", worker=second)
        # The workflow took in the redelivery (a task completed after the second signal) and ignored it.
        await until(partial(_processed_after, handle, signals[-1]), "the second signal to be processed", worker=second)
        after = await run.state(handle, second)
        assert after["seen_events"] == 1, after
        assert after["stage"] == "awaiting_acceptance", after
        assert timers(after) == timers(before), "a timer was restarted by the redelivered event"
        assert (after["warnings_total"], after["escalations_total"]) == (before["warnings_total"], before["escalations_total"]) == (0, 0)
        assert (await handle.describe()).run_id == run_id, "the ticket's workflow was started again"
        assert second.alive(), second.tail(60)


async def test_a_bridge_killed_after_consuming_before_signalling_leaves_the_event_to_the_next_bridge(
    kafka_bootstrap: str, temporal_address: str, tmp_path: Path
) -> None:
    async with Run(kafka_bootstrap, temporal_address, tmp_path) as run:
        first = await run.worker(halt="before:TicketAccepted")
        handle, run_id = await run.file(first)
        dispatch = dispatched(handle.id)
        await run.committed_past(await run.send(dispatch), first)
        accepted = TicketAccepted(ticket_id=handle.id, actor=DEPT, department_id="D-lighting")
        at = await run.send(accepted)
        await until(lambda: logged(first, "bridge_halted_for_test", halted_event_id=str(accepted.event_id)), "the halt before the signal", worker=first)

        # Consumed, not signalled, not committed: the kill comes here.
        assert [e for _, e in await ticket_event_signals(handle)] == [str(dispatch.event_id)]
        assert (await run.committed(at) or 0) <= at[1], "the halted event's offset must not be committed yet"
        before = await run.state(handle, first, lambda s: s["stage"] == "awaiting_acceptance" and s["seen_events"] == 1)
        await run.kill(first)

        second = await run.worker()
        await run.committed_past(at, second)
        assert logged(second, "event_handled", event_id=str(accepted.event_id), outcome="applied"), second.tail(40)
        after = await run.state(handle, second, lambda s: s["seen_events"] == 2)
        assert after["stage"] == "in_progress" and "contact" in after["timers"] and "accept" not in after["timers"], after
        assert timers(after)["resolve"] == timers(before)["resolve"], "the dispatch's resolve timer was restarted"
        assert [e for _, e in await ticket_event_signals(handle)] == [str(dispatch.event_id), str(accepted.event_id)]
        assert (await handle.describe()).run_id == run_id
        assert second.alive(), second.tail(60)


async def _signals_of(handle: WorkflowHandle, event_id: str, count: int) -> list[int] | None:
    """The history ids of the `ticket_event` signals carrying `event_id`, once there are `count` of them."""
    ids = [history_id for history_id, signalled in await ticket_event_signals(handle) if signalled == event_id]
    assert len(ids) <= count, f"{event_id} was signalled {len(ids)} times"
    return ids if len(ids) == count else None


async def _processed_after(handle: WorkflowHandle, history_id: int) -> bool:
    return await last_task_completed(handle) > history_id

