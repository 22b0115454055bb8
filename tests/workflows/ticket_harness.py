"""Shared by the workflow tests and record_histories.py: a second-scale SLA policy, a fake publishing activity,
a worker on a fresh task queue, and ticket events built the way the services build them.

The time-skipping test server cannot be downloaded here, so timers run in real time on the dev server.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from libs.events import (
    Actor,
    DepartmentsSummoned,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    ResidentContacted,
    SummonsCheckedIn,
    SummonsTaskCompleted,
    TicketAccepted,
    TicketAssignedToCommunity,
    TicketClosed,
    TicketDispatched,
    TicketFiled,
    TicketMerged,
    TicketRecategorized,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSuspended,
)
from libs.sla.calendar import load_calendar
from libs.sla.policy import SlaPolicy
from workflows.ticket_lifecycle.activities import deadline_event
from workflows.ticket_lifecycle.bridge import SlaSource, TicketBridge
from workflows.ticket_lifecycle.shared import DeadlineNotice
from workflows.ticket_lifecycle.timers import DEADLINE_SET
from workflows.ticket_lifecycle.workflows import TicketWorkflow

# --------------------------------------------------------------------------- the policy the tests live by

WARNING_FRACTION = 0.5
DISPATCH_S, ACCEPT_S, CONTACT_S, RESOLVE_S, RATING_S = 2.0, 2.0, 2.0, 4.0, 3.0
LEVEL2_AFTER_S, LEVEL3_AFTER_S = 1.0, 1.0
JOINT_ON_SITE_S = 3.0
CALLBACK_S = 3.0
HEATING_DISPATCH_S, HEATING_RESOLVE_S = 4.0, 6.0
STAGE_SECONDS = {"dispatch": DISPATCH_S, "accept": ACCEPT_S, "contact": CONTACT_S, "resolve": RESOLVE_S, "rating": RATING_S}


def _span(seconds: float) -> dict:
    return {"amount": seconds, "unit": "seconds"}


POLICY_DOC = {
    "version": 7,
    "warning_fraction": WARNING_FRACTION,
    "ladder": {"level2_after": _span(LEVEL2_AFTER_S), "level3_after": _span(LEVEL3_AFTER_S)},
    "joint_on_site": _span(JOINT_ON_SITE_S),
    "callback": _span(CALLBACK_S),
    "urgencies": {u: {s: _span(v) for s, v in STAGE_SECONDS.items()} for u in ("emergency", "urgent", "ordinary", "complex")},
    # 分类调整 (the recategorized history): heating's community clock is longer, its resolution clock too.
    "categories": {"heating": {"dispatch": _span(HEATING_DISPATCH_S), "resolve": _span(HEATING_RESOLVE_S)}},
}
POLICY = SlaPolicy.parse(POLICY_DOC)

STAFF = Actor(role="community_staff", id="staff-1")
DEPT = Actor(role="department_staff", id="dept-user-1")
SYSTEM = Actor(role="system", id="feedback")
URBAN = "urban"


def ladder(start: datetime, seconds: float) -> list[tuple[str, int, datetime]]:
    """(kind, level, when) the policy promises for a stage timer started at `start` when nothing happens."""
    due = start + timedelta(seconds=seconds)
    level2 = due + timedelta(seconds=LEVEL2_AFTER_S)
    return [
        ("warned", 0, start + timedelta(seconds=seconds * WARNING_FRACTION)),
        ("escalated", 1, due),
        ("escalated", 2, level2),
        ("escalated", 3, level2 + timedelta(seconds=LEVEL3_AFTER_S)),
    ]


# --------------------------------------------------------------------------- the fake activity


@dataclass
class Published:
    notice: DeadlineNotice
    at: datetime  # wall clock when the activity ran

    @property
    def event_id(self) -> uuid.UUID:
        return deadline_event(self.notice).event_id


@dataclass
class FakePublisher:
    """Stands in for TicketActivities: records each notice instead of publishing to Kafka."""

    published: list[Published] = field(default_factory=list)

    @activity.defn(name="publish_deadline_event")
    async def publish_deadline_event(self, notice: DeadlineNotice) -> str:
        self.published.append(Published(notice, datetime.now(timezone.utc)))
        return str(deadline_event(notice).event_id)

    def of(self, ticket_id: str, stage: str | None = None, kind: str | None = None) -> list[Published]:
        """The ticket's notices; without `kind`, the alarms only (催办, 督办, rating expiry), not the announced deadlines."""
        return [
            p
            for p in self.published
            if p.notice.ticket_id == ticket_id
            and (stage is None or p.notice.stage == stage)
            and (p.notice.kind == kind if kind else p.notice.kind != DEADLINE_SET)
        ]


@dataclass
class Lifecycle:
    client: Client
    bridge: TicketBridge
    publisher: FakePublisher
    task_queue: str

    def handle(self, ticket: TicketFiled | str) -> WorkflowHandle:
        return self.client.get_workflow_handle(ticket if isinstance(ticket, str) else ticket.ticket_id)

    async def file(self, **kwargs) -> TicketFiled:
        ticket = filed(**kwargs)
        await self.bridge.start_ticket_workflow(ticket)
        return ticket

    async def send(self, *events: Event) -> None:
        for event in events:
            await self.bridge.signal_ticket_workflow(event)

    async def state(self, ticket: TicketFiled) -> dict:
        return await self.handle(ticket).query(TicketWorkflow.state)

    def of(self, ticket: TicketFiled, stage: str | None = None, kind: str | None = None) -> list[Published]:
        return self.publisher.of(ticket.ticket_id, stage, kind)


@asynccontextmanager
async def running_lifecycle(
    client: Client, policy: SlaPolicy = POLICY, *, task_queue: str | None = None, publisher: FakePublisher | None = None
) -> AsyncIterator[Lifecycle]:
    """A worker (real workflow, fake publisher) on a task queue of its own, and a bridge that starts tickets on it.

    Pass the `task_queue` and `publisher` of an earlier one to stand in for a restarted worker process.
    """
    task_queue = task_queue or f"ticket-lifecycle-test-{uuid.uuid4()}"
    publisher = publisher if publisher is not None else FakePublisher()
    bridge = TicketBridge(client, task_queue=task_queue, sla=SlaSource(policy, load_calendar()))
    async with Worker(client, task_queue=task_queue, workflows=[TicketWorkflow], activities=[publisher.publish_deadline_event]):
        yield Lifecycle(client, bridge, publisher, task_queue)


async def eventually(check: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    """Until `check()` holds; the bound is generous (a loaded 2-core machine), it only ends a test that already failed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        await asyncio.sleep(0.05)


async def sleep_until(when: datetime) -> None:
    await asyncio.sleep(max(0.0, (when - datetime.now(timezone.utc)).total_seconds()))


# --------------------------------------------------------------------------- ticket events


def filed(urgency: str = "ordinary", category: str = "lighting") -> TicketFiled:
    return TicketFiled(
        ticket_id=f"T-{uuid.uuid4()}",
        actor=Actor(role="resident", id="resident-1"),
        title="楼道灯坏了",
        description="3号楼2单元楼道灯不亮",
        category=category,
        urgency=urgency,
        community_id="C-1",
    )


def dispatched(t: TicketFiled, department_id: str = URBAN) -> TicketDispatched:
    return TicketDispatched(
        ticket_id=t.ticket_id,
        actor=STAFF,
        community_id=t.community_id,
        department_id=department_id,
        title=t.title,
        description=t.description,
        category=t.category,
        urgency=t.urgency,
    )


def accepted(t: TicketFiled, department_id: str = URBAN) -> TicketAccepted:
    return TicketAccepted(ticket_id=t.ticket_id, actor=DEPT, department_id=department_id)


def contacted(t: TicketFiled, department_id: str = URBAN) -> ResidentContacted:
    return ResidentContacted(ticket_id=t.ticket_id, actor=DEPT, department_id=department_id, note="电话联系了居民")


def returned(t: TicketFiled, department_id: str = URBAN) -> TicketReturned:
    return TicketReturned(ticket_id=t.ticket_id, actor=DEPT, department_id=department_id, community_id=t.community_id, reason="不属于本部门")


def resolved(t: TicketFiled, department_id: str = URBAN) -> TicketResolved:
    return TicketResolved(ticket_id=t.ticket_id, actor=DEPT, department_id=department_id, note="换了灯泡")


def reopened(t: TicketFiled, reopen_count: int = 1, joint_handling: bool = False) -> TicketReopened:
    return TicketReopened(
        ticket_id=t.ticket_id,
        actor=Actor(role="resident", id="resident-1"),
        community_id=t.community_id,
        reason="还是不亮",
        reopen_count=reopen_count,
        joint_handling=joint_handling,
    )


def extension_requested(t: TicketFiled, seconds: float, department_id: str = URBAN) -> ExtensionRequested:
    return ExtensionRequested(
        ticket_id=t.ticket_id, actor=DEPT, department_id=department_id, amount=seconds / 3600, unit="clock_hours", reason="等配件"
    )


def extension_granted(t: TicketFiled, request: ExtensionRequested) -> ExtensionGranted:
    return ExtensionGranted(
        ticket_id=t.ticket_id, actor=STAFF, request_event_id=request.event_id, amount=request.amount, unit=request.unit
    )


def extension_refused(t: TicketFiled, request: ExtensionRequested) -> ExtensionRefused:
    return ExtensionRefused(ticket_id=t.ticket_id, actor=STAFF, request_event_id=request.event_id, note="不予延期")


def suspended(t: TicketFiled) -> TicketSuspended:
    return TicketSuspended(ticket_id=t.ticket_id, actor=STAFF, reason="居民外出")


def resumed(t: TicketFiled) -> TicketResumed:
    return TicketResumed(ticket_id=t.ticket_id, actor=STAFF)


def closed(t: TicketFiled) -> TicketClosed:
    return TicketClosed(ticket_id=t.ticket_id, actor=SYSTEM)


def merged(t: TicketFiled, into: str = "T-original") -> TicketMerged:
    return TicketMerged(ticket_id=t.ticket_id, actor=STAFF, community_id=t.community_id, merged_into=into)


def recategorized(t: TicketFiled, category: str) -> TicketRecategorized:
    return TicketRecategorized(ticket_id=t.ticket_id, actor=STAFF, community_id=t.community_id, category=category, previous_category=t.category)


def assigned(t: TicketFiled, community_id: str) -> TicketAssignedToCommunity:
    return TicketAssignedToCommunity(
        ticket_id=t.ticket_id, actor=STAFF, community_id=community_id, from_community_id=t.community_id, note="街道分拨"
    )


# --------------------------------------------------------------------------- 吹哨报到


def summoned(
    t: TicketFiled, co: tuple[str, ...] = ("water", "power"), lead: str = URBAN, on_site_s: float = JOINT_ON_SITE_S,
    joint_handling: bool = False,
) -> DepartmentsSummoned:
    """The community summons `lead` and `co` on site within `on_site_s` (the policy's joint_on_site, as dispatch
    computes it) from now."""
    now = datetime.now(timezone.utc)
    return DepartmentsSummoned(
        ticket_id=t.ticket_id, actor=STAFF, occurred_at=now, summons_id=f"S-{uuid.uuid4().hex[:8]}",
        community_id=t.community_id, lead_department_id=lead, co_department_ids=co, address="3号楼2单元", reason="多部门联合处置",
        on_site_due=now + timedelta(seconds=on_site_s), joint_handling=joint_handling,
    )


def checked_in(s: DepartmentsSummoned, department_id: str, late: bool = False) -> SummonsCheckedIn:
    return SummonsCheckedIn(
        ticket_id=s.ticket_id, actor=DEPT, summons_id=s.summons_id, department_id=department_id, latitude=39.9,
        longitude=116.4, distance_m=20.0, late=late,
    )


def task_completed(s: DepartmentsSummoned, department_id: str) -> SummonsTaskCompleted:
    return SummonsTaskCompleted(ticket_id=s.ticket_id, actor=DEPT, summons_id=s.summons_id, department_id=department_id, note="已完成协办")
