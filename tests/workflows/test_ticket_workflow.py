"""TicketWorkflow on a real Temporal dev server (conftest's `temporal_address`), driven through the bridge.

The time-skipping test server cannot be downloaded here, so timers run in real time with a second-scale
dispatch timeout. Kafka is not needed: the publishing activity is replaced by a fake of the same name.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from deploy.procs import ManagedProcess, free_port, stop_processes
from deploy.stack import temporal_binary, wait_temporal
from libs.events import (
    Actor,
    Event,
    TicketAccepted,
    TicketClosed,
    TicketDispatched,
    TicketFiled,
    TicketResolved,
    TicketReturned,
)
from workflows.ticket_lifecycle.activities import escalation_event
from workflows.ticket_lifecycle.bridge import TicketBridge
from workflows.ticket_lifecycle.shared import EscalationRequest, TicketEventSignal, TicketWorkflowInput
from workflows.ticket_lifecycle.workflows import TicketWorkflow

TIMEOUT = 1.0  # seconds: the placeholder dispatch deadline in these tests
SUGGEST_CONTINUE_AS_NEW_AFTER = 40  # history events, on the server started for the continue-as-new test
STAFF = Actor(role="community_staff", id="staff-1")
DEPT = Actor(role="department_staff", id="dept-user-1")


class FakeEscalations:
    """Stands in for TicketActivities: records each escalation instead of publishing to Kafka."""

    def __init__(self) -> None:
        self.requests: list[EscalationRequest] = []

    @activity.defn(name="publish_escalation")
    async def publish_escalation(self, request: EscalationRequest) -> str:
        self.requests.append(request)
        return str(escalation_event(request).event_id)


@dataclass
class Lifecycle:
    client: Client
    bridge: TicketBridge
    escalations: FakeEscalations
    task_queue: str


@pytest.fixture(scope="session")
async def client(temporal_address: str) -> Client:
    return await Client.connect(temporal_address)


@asynccontextmanager
async def running_lifecycle(client: Client, dispatch_timeout_seconds: float = TIMEOUT) -> AsyncIterator[Lifecycle]:
    task_queue = f"ticket-lifecycle-test-{uuid.uuid4()}"
    escalations = FakeEscalations()
    bridge = TicketBridge(client, task_queue=task_queue, dispatch_timeout_seconds=dispatch_timeout_seconds)
    async with Worker(
        client, task_queue=task_queue, workflows=[TicketWorkflow], activities=[escalations.publish_escalation]
    ):
        yield Lifecycle(client, bridge, escalations, task_queue)


@pytest.fixture
async def lifecycle(client: Client) -> AsyncIterator[Lifecycle]:
    async with running_lifecycle(client) as running:
        yield running


@pytest.fixture(scope="module")
def short_history_temporal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A dev server of our own that suggests continue-as-new after a few dozen history events."""
    port = free_port()
    log_path = Path(tmp_path_factory.mktemp("temporal-short-history")) / "temporal.log"
    cmd = [
        temporal_binary(), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
        "--log-level", "warn",
        "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_CONTINUE_AS_NEW_AFTER}",
    ]
    proc = ManagedProcess("temporal-short-history", cmd, log_path).start()
    try:
        wait_temporal(proc, f"127.0.0.1:{port}", timeout=120)
        yield f"127.0.0.1:{port}"
    finally:
        stop_processes([proc], grace=10)


def filed() -> TicketFiled:
    return TicketFiled(
        ticket_id=f"T-{uuid.uuid4()}",
        actor=Actor(role="resident", id="resident-1"),
        title="楼道灯坏了",
        description="3号楼2单元楼道灯不亮",
        category="lighting",
        community_id="C-1",
    )


def dispatched(ticket: TicketFiled) -> TicketDispatched:
    return TicketDispatched(
        ticket_id=ticket.ticket_id,
        actor=STAFF,
        community_id=ticket.community_id,
        department_id="D-lighting",
        title=ticket.title,
        description=ticket.description,
        category=ticket.category,
    )


def returned(ticket: TicketFiled) -> TicketReturned:
    return TicketReturned(
        ticket_id=ticket.ticket_id, actor=DEPT, department_id="D-lighting", community_id="C-1", reason="not ours"
    )


def accepted(ticket: TicketFiled) -> TicketAccepted:
    return TicketAccepted(ticket_id=ticket.ticket_id, actor=DEPT, department_id="D-lighting")


def resolved(ticket: TicketFiled) -> TicketResolved:
    return TicketResolved(ticket_id=ticket.ticket_id, actor=DEPT, department_id="D-lighting", note="换了灯泡")


def closed(ticket: TicketFiled) -> TicketClosed:
    return TicketClosed(ticket_id=ticket.ticket_id, actor=Actor(role="system", id="feedback"))


async def send(lifecycle: Lifecycle, *events: Event) -> None:
    for event in events:
        await lifecycle.bridge.signal_ticket_workflow(event)


async def state(lifecycle: Lifecycle, ticket: TicketFiled) -> dict:
    return await lifecycle.client.get_workflow_handle(ticket.ticket_id).query(TicketWorkflow.state)


async def eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.1)


async def test_escalation_climbs_to_level_three_when_nobody_dispatches(lifecycle: Lifecycle) -> None:
    ticket = filed()
    await lifecycle.bridge.start_ticket_workflow(ticket)

    await eventually(lambda: len(lifecycle.escalations.requests) >= 3)
    await asyncio.sleep(2.5 * TIMEOUT)  # the ladder stops at level 3

    requests = lifecycle.escalations.requests
    assert [r.level for r in requests] == [1, 2, 3]
    assert {(r.ticket_id, r.stage, r.cycle, r.community_id) for r in requests} == {
        (ticket.ticket_id, "dispatch", 0, "C-1")
    }
    assert [datetime.fromisoformat(r.deadline) for r in requests] == [
        ticket.occurred_at + timedelta(seconds=TIMEOUT) * level for level in (1, 2, 3)
    ]
    current = await state(lifecycle, ticket)
    assert current["stage"] == "awaiting_dispatch"
    assert current["escalation_level"] == 3


async def test_a_dispatch_stops_the_escalation_timer(lifecycle: Lifecycle) -> None:
    ticket = filed()
    await lifecycle.bridge.start_ticket_workflow(ticket)
    await eventually(lambda: len(lifecycle.escalations.requests) == 1)

    await send(lifecycle, dispatched(ticket))
    await asyncio.sleep(2.5 * TIMEOUT)

    assert [r.level for r in lifecycle.escalations.requests] == [1]
    current = await state(lifecycle, ticket)
    assert current["stage"] == "awaiting_acceptance"
    assert current["escalation_level"] == 0
    assert current["department_id"] == "D-lighting"


async def test_a_redelivered_event_with_the_same_event_id_is_ignored(lifecycle: Lifecycle) -> None:
    ticket = filed()
    await lifecycle.bridge.start_ticket_workflow(ticket)
    first_dispatch = dispatched(ticket)

    await send(lifecycle, first_dispatch, first_dispatch, accepted(ticket), first_dispatch)

    current = await state(lifecycle, ticket)
    assert current["seen_events"] == 2
    assert current["stage"] == "in_progress"  # the late duplicate did not move it back to awaiting_acceptance


async def test_closing_the_ticket_completes_the_workflow_with_its_summary(lifecycle: Lifecycle) -> None:
    ticket = filed()
    await lifecycle.bridge.start_ticket_workflow(ticket)
    closing = closed(ticket)

    await send(lifecycle, dispatched(ticket), accepted(ticket), resolved(ticket), closing)
    summary = await lifecycle.client.get_workflow_handle(ticket.ticket_id).result()

    assert summary["ticket_id"] == ticket.ticket_id
    assert summary["stage"] == "closed"
    assert summary["department_id"] == "D-lighting"
    assert summary["events_seen"] == 4
    assert summary["escalations"] == 0
    assert datetime.fromisoformat(summary["closed_at"]) == closing.occurred_at
    assert datetime.fromisoformat(summary["filed_at"]) == ticket.occurred_at


async def test_a_returned_ticket_goes_back_to_awaiting_dispatch_and_the_timer_runs_again(
    lifecycle: Lifecycle,
) -> None:
    ticket = filed()
    await lifecycle.bridge.start_ticket_workflow(ticket)
    await send(lifecycle, dispatched(ticket), returned(ticket))

    assert (await state(lifecycle, ticket))["stage"] == "awaiting_dispatch"
    await eventually(lambda: len(lifecycle.escalations.requests) >= 1)

    first = lifecycle.escalations.requests[0]
    assert (first.level, first.cycle) == (1, 1)  # a new cycle, so a new deterministic event id
    assert escalation_event(first).event_id != escalation_event(replace(first, cycle=0)).event_id


async def test_a_redelivered_filing_does_not_start_a_second_workflow(lifecycle: Lifecycle) -> None:
    ticket = filed()
    await lifecycle.bridge.start_ticket_workflow(ticket)
    await lifecycle.bridge.start_ticket_workflow(ticket)
    await send(lifecycle, closed(ticket))
    handle = lifecycle.client.get_workflow_handle(ticket.ticket_id)
    await handle.result()

    await lifecycle.bridge.start_ticket_workflow(ticket)  # after closing too: no error, no new run

    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED


async def test_a_signal_for_a_closed_or_unknown_ticket_is_skipped(lifecycle: Lifecycle) -> None:
    ticket = filed()
    await lifecycle.bridge.start_ticket_workflow(ticket)
    await send(lifecycle, closed(ticket))
    await lifecycle.client.get_workflow_handle(ticket.ticket_id).result()

    await send(lifecycle, dispatched(ticket), dispatched(filed()))  # no exception: the consumer moves on


async def test_state_carried_across_continue_as_new_still_ignores_seen_events(lifecycle: Lifecycle) -> None:
    ticket_id = f"T-{uuid.uuid4()}"
    carried = TicketWorkflowInput(
        ticket_id=ticket_id,
        community_id="C-1",
        urgency="ordinary",
        category="lighting",
        filed_at=datetime.now(timezone.utc).isoformat(),
        dispatch_timeout_seconds=TIMEOUT,
        stage="awaiting_acceptance",
        seen_event_ids=["e-dispatched"],
    )
    handle = await lifecycle.client.start_workflow(
        TicketWorkflow.run, carried, id=ticket_id, task_queue=lifecycle.task_queue
    )

    now = datetime.now(timezone.utc).isoformat()
    await handle.signal(TicketWorkflow.ticket_event, TicketEventSignal("e-dispatched", "TicketReturned", now))
    await asyncio.sleep(2 * TIMEOUT)

    assert (await handle.query(TicketWorkflow.state))["stage"] == "awaiting_acceptance"
    assert lifecycle.escalations.requests == []


async def test_a_long_lived_ticket_continues_as_new_and_keeps_its_state(short_history_temporal: str) -> None:
    client = await Client.connect(short_history_temporal)
    async with running_lifecycle(client, dispatch_timeout_seconds=3600) as lifecycle:
        ticket = filed()
        await lifecycle.bridge.start_ticket_workflow(ticket)
        first_run_id = (await client.get_workflow_handle(ticket.ticket_id).describe()).run_id
        moves = [dispatched(ticket) if i % 2 == 0 else returned(ticket) for i in range(30)]

        await send(lifecycle, *moves)
        await send(lifecycle, moves[0], moves[-1])  # redeliveries from before the continue-as-new

        handle = client.get_workflow_handle(ticket.ticket_id)
        assert (await handle.describe()).run_id != first_run_id
        current = await handle.query(TicketWorkflow.state)
        assert (current["stage"], current["seen_events"]) == ("awaiting_dispatch", 30)
        await send(lifecycle, closed(ticket))
        summary = await handle.result()
        assert (summary["events_seen"], summary["dispatch_cycles"]) == (31, 16)


def test_a_retried_escalation_carries_the_same_event_id() -> None:
    request = EscalationRequest(
        ticket_id="T-1", stage="dispatch", level=2, cycle=0, deadline="2026-05-01T10:00:00+08:00", community_id="C-1"
    )

    first, retry = escalation_event(request), escalation_event(request)

    assert first.event_id == retry.event_id
    assert (first.type, first.level, first.actor.role, first.actor.id) == ("TicketEscalated", 2, "system", "workflows")
