"""吹哨报到 in TicketWorkflow on the session's Temporal dev server (real-time timers on ticket_harness's second-scale
policy, fake publisher): one check-in timer per summoned department and one task timer per co-department, each stopped
by that department's own event, the overdue ones warned and escalated naming their department; and a second failed
rating (联席办) now gives the community a `joint_handling` clock to 吹哨报到 instead of an immediate level-2 escalation.

Like test_ticket_workflow.py: a notice never comes before its time and may come up to LATE after it; a stopped timer
is judged by what was due when the stopping event had reached Temporal, never by racing the clock.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
from temporalio.client import Client

from libs.events import TicketEscalated
from tests.workflows.test_ticket_workflow import EARLY, LATE, assert_on_time, send
from tests.workflows.ticket_harness import (
    JOINT_ON_SITE_S,
    LEVEL2_AFTER_S,
    RESOLVE_S,
    URBAN,
    WARNING_FRACTION,
    Lifecycle,
    Published,
    accepted,
    checked_in,
    contacted,
    dispatched,
    eventually,
    reopened,
    resolved,
    running_lifecycle,
    summoned,
    task_completed,
)
from workflows.ticket_lifecycle.activities import deadline_event


@pytest.fixture(scope="module")
async def client(temporal_address: str) -> Client:
    return await Client.connect(temporal_address)


@pytest.fixture
async def lc(client: Client) -> AsyncIterator[Lifecycle]:
    async with running_lifecycle(client) as running:
        yield running


def of(lc: Lifecycle, ticket, stage: str, department: str, kind: str | None = None) -> list[Published]:  # noqa: ANN001
    return [p for p in lc.of(ticket, stage, kind) if p.notice.department_id == department]


def due_after(published: list[Published], start: datetime, seconds: float, stopped: datetime) -> list[tuple[str, int]]:
    """Notices of a timer (started at `start`, span `seconds`) that were due after it was stopped at `stopped`."""
    due = start + timedelta(seconds=seconds)
    when = {("warned", 0): start + timedelta(seconds=seconds * WARNING_FRACTION), ("escalated", 1): due,
            ("escalated", 2): due + timedelta(seconds=LEVEL2_AFTER_S), ("escalated", 3): due + timedelta(seconds=2 * LEVEL2_AFTER_S)}
    return [(p.notice.kind, p.notice.level) for p in published if when[(p.notice.kind, p.notice.level)] > stopped + EARLY]


async def test_a_summons_with_two_co_departments_chases_each_department_on_its_own_timer(lc: Lifecycle) -> None:
    t = await lc.file()
    await lc.send(dispatched(t), accepted(t), contacted(t))
    summons = summoned(t, co=("water", "power"))
    start = summons.occurred_at
    await lc.send(summons)
    # The lead and water are on site at once; water finishes its task at once; power never checks in.
    stopped = await send(lc, checked_in(summons, URBAN), checked_in(summons, "water"), task_completed(summons, "water"))

    state = await lc.state(t)
    sid = summons.summons_id
    assert {f"check_in:{sid}:power", f"co_task:{sid}:power", "resolve"} <= set(state["timers"])
    assert not {f"check_in:{sid}:{URBAN}", f"check_in:{sid}:water", f"co_task:{sid}:water"} & set(state["timers"])
    announced = lambda: {(p.notice.stage, p.notice.department_id, p.notice.deadline) for p in lc.of(t, kind="deadline_set")}  # noqa: E731
    expected = {("check_in", "power", summons.on_site_due.isoformat()), ("co_task", "power", (start + timedelta(seconds=RESOLVE_S)).isoformat())}
    await eventually(lambda: expected <= announced(), what="each department's deadlines announced (published by the loop)")

    # power is late: 催办 at the warning fraction, 督办 level 1 at the on-site due time, the notice naming power.
    await eventually(lambda: of(lc, t, "check_in", "power", "escalated"), what="power's late check-in escalates")
    (warning,) = of(lc, t, "check_in", "power", "warned")
    assert_on_time(warning, start + timedelta(seconds=JOINT_ON_SITE_S * WARNING_FRACTION), "check-in warning")
    escalation = of(lc, t, "check_in", "power", "escalated")[0]
    assert_on_time(escalation, summons.on_site_due, "check-in level 1")
    event = deadline_event(escalation.notice)
    assert isinstance(event, TicketEscalated)
    assert (event.stage, event.level, event.department_id, event.deadline) == ("check_in", 1, "power", summons.on_site_due)
    # power's task is overdue too, on its own timer (the ticket's resolve span from the summons).
    await eventually(lambda: of(lc, t, "co_task", "power", "escalated"), what="power's co-task escalates")
    assert_on_time(of(lc, t, "co_task", "power", "escalated")[0], start + timedelta(seconds=RESOLVE_S), "co-task level 1")

    # Nothing for the departments that checked in and finished, beyond what was due before their events arrived.
    for department in (URBAN, "water"):
        assert not due_after(of(lc, t, "check_in", department), start, JOINT_ON_SITE_S, stopped), department
    assert not due_after(of(lc, t, "co_task", "water"), start, RESOLVE_S, stopped)

    # power checks in (late) and completes; the lead resolves: no summons timer runs on.
    done = await send(lc, checked_in(summons, "power", late=True), task_completed(summons, "power"), resolved(t))
    state = await lc.state(t)
    assert not [name for name in state["timers"] if name.startswith(("check_in:", "co_task:"))]
    assert state["stage"] == "awaiting_rating"
    await eventually(lambda: datetime.now(timezone.utc) > done + timedelta(seconds=2 * LEVEL2_AFTER_S) + LATE, timeout=20)
    assert not due_after(of(lc, t, "check_in", "power"), start, JOINT_ON_SITE_S, done)
    assert not due_after(of(lc, t, "co_task", "power"), start, RESOLVE_S, done)


async def test_a_department_checking_in_for_another_summons_or_department_stops_nothing(lc: Lifecycle) -> None:
    t = await lc.file()
    await lc.send(dispatched(t), accepted(t))
    summons, other = summoned(t, co=("water",)), summoned(t, co=("water",))
    await lc.send(summons, checked_in(other, "water"), checked_in(summons, "power"))

    timers = set((await lc.state(t))["timers"])
    assert {f"check_in:{summons.summons_id}:water", f"check_in:{summons.summons_id}:{URBAN}"} <= timers


async def test_a_joint_handling_reopen_gives_the_community_a_clock_to_summon_and_the_summons_stops_it(lc: Lifecycle) -> None:
    waiting, summoning = await lc.file(), await lc.file()
    for t in (waiting, summoning):
        await lc.send(dispatched(t), accepted(t), contacted(t), resolved(t))
    joint, other_joint = (reopened(t, reopen_count=2, joint_handling=True) for t in (waiting, summoning))
    await lc.send(joint, other_joint)

    state = await lc.state(waiting)
    assert (state["stage"], set(state["timers"]), state["joint_handling"]) == ("awaiting_dispatch", {"joint_handling"}, True)
    assert datetime.fromisoformat(state["timers"]["joint_handling"]["deadline"]) == joint.occurred_at + timedelta(
        seconds=JOINT_ON_SITE_S
    )
    assert state["escalations_total"] == 0  # no level-2 escalation at once any more: the ladder runs from the deadline

    # The other community 吹哨报到 at once: dispatched to the lead, then the summons; its joint clock stops.
    summons = summoned(summoning, co=("water",), joint_handling=True)
    stopped = await send(lc, dispatched(summoning), summons)
    state = await lc.state(summoning)
    assert "joint_handling" not in state["timers"] and f"check_in:{summons.summons_id}:water" in state["timers"]

    await eventually(lambda: lc.of(waiting, "joint_handling", "escalated"), what="joint handling level 1")
    assert_on_time(lc.of(waiting, "joint_handling", "escalated")[0], joint.occurred_at + timedelta(seconds=JOINT_ON_SITE_S), "joint")
    assert [p.notice.kind for p in lc.of(waiting, "joint_handling")][:2] == ["warned", "escalated"]
    assert not due_after(lc.of(summoning, "joint_handling"), other_joint.occurred_at, JOINT_ON_SITE_S, stopped)
