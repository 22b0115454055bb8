"""TicketWorkflow v2 on a real Temporal dev server (conftest's `temporal_address`), driven through the bridge.

Timers run in real time on the second-scale policy in ticket_harness (the time-skipping test server is not a test
dependency; tests/unit/test_ticket_timers.py checks the arithmetic without Temporal); Kafka is not needed:
`publish_deadline_event` is a fake of the same name that records each notice and when it ran. Independent tickets
run concurrently inside one test to keep the whole file around a minute.

Written for a loaded 2-core CI machine: a notice must never come before its time (EARLY is clock rounding), but
may come up to LATE after it; a stopped timer is judged by what was due when the stopping event had reached
Temporal (`assert_stopped`), not by a race against the clock.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from deploy.procs import ManagedProcess, free_port, stop_processes
from deploy.stack import temporal_binary, wait_temporal
from libs.events import CallbackRequested, Event, TicketEscalated, TicketFiled
from libs.sla.calendar import load_calendar
from libs.sla.policy import load_policy
from tests.workflows.ticket_harness import (
    ACCEPT_S,
    CALLBACK_S,
    CONTACT_S,
    DISPATCH_S,
    JOINT_ON_SITE_S,
    RATING_S,
    RESOLVE_S,
    URBAN,
    WARNING_FRACTION,
    Lifecycle,
    Published,
    accepted,
    assigned,
    closed,
    contacted,
    dispatched,
    eventually,
    extension_granted,
    extension_refused,
    extension_requested,
    filed,
    ladder,
    merged,
    reopened,
    resolved,
    resumed,
    returned,
    running_lifecycle,
    sleep_until,
    suspended,
)
from workflows.ticket_lifecycle.activities import deadline_event
from workflows.ticket_lifecycle.shared import DeadlineNotice, StageTimer, TicketEventSignal, TicketWorkflowInput
from workflows.ticket_lifecycle.workflows import TicketWorkflow

EARLY = timedelta(milliseconds=50)  # a Temporal timer never fires before its time; allow for clock rounding
LATE = timedelta(seconds=15)  # worker pickup + activity scheduling on a loaded 2-core CI machine (5 s was seen missed)
SETTLE = timedelta(seconds=1)  # how long a check that something does NOT come waits past its time
SUGGEST_CONTINUE_AS_NEW_AFTER = 40  # history events, on the server started for the continue-as-new test


@pytest.fixture(scope="session")
async def client(temporal_address: str) -> Client:
    return await Client.connect(temporal_address)


@pytest.fixture
async def lc(client: Client) -> AsyncIterator[Lifecycle]:
    async with running_lifecycle(client) as running:
        yield running


def assert_on_time(published: Published, expected: datetime, what: str) -> None:
    assert expected - EARLY <= published.at <= expected + LATE, (
        f"{what}: expected at {expected.isoformat()}, published at {published.at.isoformat()} "
        f"({(published.at - expected).total_seconds():+.3f}s)"
    )


def due_times(start: datetime, seconds: float) -> dict[tuple[str, int], datetime]:
    """(kind, level) → when it is due, for a stage timer started at `start` (the rating window: its expiry)."""
    return {(kind, level): when for kind, level, when in ladder(start, seconds)} | {
        ("rating_expired", 0): start + timedelta(seconds=seconds)
    }


def assert_stopped(lc: Lifecycle, ticket: TicketFiled, stage: str, start: datetime, seconds: float, stopped: datetime) -> None:
    """The stage timer, stopped by an event that had reached Temporal at `stopped`, published nothing due later.

    (What was due earlier may have come: on a slow machine a timer can fire before the stopping event arrives.)"""
    due = due_times(start, seconds)
    late = [(p.notice.kind, p.notice.level) for p in lc.of(ticket, stage) if due[(p.notice.kind, p.notice.level)] > stopped]
    assert not late, f"{stage}: {late} published after the timer was stopped"


async def send(lc: Lifecycle, *events: Event) -> datetime:
    """Signal the events; returns when the last one had reached Temporal."""
    await lc.send(*events)
    return datetime.now(timezone.utc)


def assert_ladder(lc: Lifecycle, ticket, stage: str, start: datetime, seconds: float) -> None:
    """The stage's notices are exactly warn, level 1, 2, 3, each at the time the policy says."""
    got = lc.of(ticket, stage)
    expected = ladder(start, seconds)
    assert [(p.notice.kind, p.notice.level) for p in got] == [(k, lv) for k, lv, _ in expected], stage
    for p, (kind, level, when) in zip(got, expected):
        assert_on_time(p, when, f"{stage} {kind} {level}")
        assert datetime.fromisoformat(p.notice.deadline) == start + timedelta(seconds=seconds)
    assert len({p.notice.cycle for p in got}) == 1, "one timer, one cycle"


# --------------------------------------------------------------------------- 1. the ladder, stage by stage


async def test_each_stage_warns_then_escalates_through_all_three_levels_when_nothing_happens(lc: Lifecycle) -> None:
    async def nothing_after_filing():
        t = await lc.file()
        return t, "dispatch", t.occurred_at, DISPATCH_S

    async def nothing_after_dispatch():
        t = await lc.file()
        d = dispatched(t)
        await lc.send(d)
        return t, "accept", d.occurred_at, ACCEPT_S

    async def nothing_after_acceptance():
        t = await lc.file()
        a = accepted(t)
        await lc.send(dispatched(t), a)
        return t, "contact", a.occurred_at, CONTACT_S

    async def nothing_but_the_resolution_left():
        t = await lc.file()
        d = dispatched(t)
        await lc.send(d, accepted(t), contacted(t))
        return t, "resolve", d.occurred_at, RESOLVE_S

    cases = await asyncio.gather(
        nothing_after_filing(), nothing_after_dispatch(), nothing_after_acceptance(), nothing_but_the_resolution_left()
    )
    for t, stage, _, _ in cases:
        await eventually(lambda: len(lc.of(t, stage, "escalated")) >= 3, timeout=60, what=f"{stage} level 3")
    await asyncio.sleep(SETTLE.total_seconds())  # the ladder stops at level 3

    for t, stage, start, seconds in cases:
        assert_ladder(lc, t, stage, start, seconds)
        assert {p.notice.community_id for p in lc.of(t, stage)} == {"C-1"}
        current = await lc.state(t)
        assert current["timers"][stage]["level"] == 3
        assert current["escalation_level"] == 3
    dispatch_case, accept_case = cases[0][0], cases[1][0]
    assert {p.notice.department_id for p in lc.of(dispatch_case)} == {None}
    assert {p.notice.department_id for p in lc.of(accept_case, "accept")} == {URBAN}


# --------------------------------------------------------------------------- 2. which signal stops which timer


async def test_each_signal_stops_the_right_timer_and_starts_the_next(lc: Lifecycle) -> None:
    async def ticket_moved_by(*steps):  # noqa: ANN002, ANN202
        """File a ticket and send it `steps` one by one: the events, when each reached Temporal, the state then."""
        t = await lc.file()
        events = [step(t) for step in steps]
        reached = [await send(lc, event) for event in events]
        return t, events, reached, await lc.state(t)

    (t_d, (d1,), (d1_in,), s_d), (t_a, (d2, a2), (d2_in, a2_in), s_a), (t_c, (d3, a3, c3), (d3_in, a3_in, c3_in), s_c), (
        t_r, (d4, a4, c4, r4), (d4_in, a4_in, c4_in, r4_in), s_r
    ) = await asyncio.gather(
        ticket_moved_by(dispatched),
        ticket_moved_by(dispatched, accepted),
        ticket_moved_by(dispatched, accepted, contacted),
        ticket_moved_by(dispatched, accepted, contacted, resolved),
    )

    assert (s_d["stage"], set(s_d["timers"])) == ("awaiting_acceptance", {"accept", "resolve"})
    assert (s_a["stage"], set(s_a["timers"])) == ("in_progress", {"contact", "resolve"})
    assert (s_c["stage"], set(s_c["timers"])) == ("in_progress", {"resolve"})
    assert (s_r["stage"], set(s_r["timers"])) == ("awaiting_rating", {"rating"})

    # The timers still running warn; the stopped ones publish nothing that came due after they were stopped.
    def kinds(t):  # noqa: ANN001, ANN202
        return {(p.notice.stage, p.notice.kind) for p in lc.of(t)}

    await eventually(lambda: {("accept", "warned"), ("resolve", "warned")} <= kinds(t_d), what="accept and resolve warnings")
    await eventually(lambda: {("contact", "warned"), ("resolve", "warned")} <= kinds(t_a), what="contact and resolve warnings")
    await eventually(lambda: ("resolve", "warned") in kinds(t_c), what="resolve warning")
    await sleep_until(max(t.occurred_at for t in (t_d, t_a, t_c, t_r)) + timedelta(seconds=DISPATCH_S + 2) + SETTLE)
    for t, d, d_in in ((t_d, d1, d1_in), (t_a, d2, d2_in), (t_c, d3, d3_in), (t_r, d4, d4_in)):
        assert_stopped(lc, t, "dispatch", t.occurred_at, DISPATCH_S, d_in)
    for t, d, a_in in ((t_a, d2, a2_in), (t_c, d3, a3_in), (t_r, d4, a4_in)):
        assert_stopped(lc, t, "accept", d.occurred_at, ACCEPT_S, a_in)
    assert_stopped(lc, t_c, "contact", a3.occurred_at, CONTACT_S, c3_in)
    assert_stopped(lc, t_r, "contact", a4.occurred_at, CONTACT_S, c4_in)
    assert_stopped(lc, t_r, "resolve", d4.occurred_at, RESOLVE_S, r4_in)


# --------------------------------------------------------------------------- 3. extensions


async def test_an_extension_granted_moves_the_resolve_deadline_and_a_refused_one_does_not(lc: Lifecycle) -> None:
    granted_ticket, refused_ticket = await lc.file(), await lc.file()
    extra = 2.0  # seconds granted
    dispatch_g, dispatch_r = dispatched(granted_ticket), dispatched(refused_ticket)
    request_g, request_r = extension_requested(granted_ticket, extra), extension_requested(refused_ticket, extra)
    grant, refusal = extension_granted(granted_ticket, request_g), extension_refused(refused_ticket, request_r)
    await lc.send(dispatch_g, accepted(granted_ticket), contacted(granted_ticket), request_g)
    assert (await lc.state(granted_ticket))["pending_extension"] == str(request_g.event_id)
    await lc.send(grant)
    await lc.send(dispatch_r, accepted(refused_ticket), contacted(refused_ticket), request_r, refusal)

    old_g = dispatch_g.occurred_at + timedelta(seconds=RESOLVE_S)
    new_g = old_g + timedelta(seconds=extra)
    old_r = dispatch_r.occurred_at + timedelta(seconds=RESOLVE_S)
    g, r = await lc.state(granted_ticket), await lc.state(refused_ticket)
    assert abs(datetime.fromisoformat(g["timers"]["resolve"]["deadline"]) - new_g) < timedelta(milliseconds=1)
    assert (g["pending_extension"], g["extensions_granted"]) == (None, 1)
    assert datetime.fromisoformat(r["timers"]["resolve"]["deadline"]) == old_r
    assert (r["pending_extension"], r["extensions_granted"]) == (None, 0)

    await eventually(lambda: len(lc.of(refused_ticket, "resolve", "escalated")) >= 1, timeout=60, what="refused level 1")
    await eventually(lambda: len(lc.of(granted_ticket, "resolve", "escalated")) >= 1, timeout=60, what="granted level 1")
    refused_level1 = lc.of(refused_ticket, "resolve", "escalated")[0]
    assert_on_time(refused_level1, old_r, "refused: level 1 at the original deadline")
    granted_level1 = lc.of(granted_ticket, "resolve", "escalated")[0]
    assert granted_level1.at >= new_g - EARLY, "no escalation at the old deadline"
    assert_on_time(granted_level1, new_g, "granted: level 1 at the extended deadline")
    assert abs(datetime.fromisoformat(granted_level1.notice.deadline) - new_g) < timedelta(milliseconds=1)
    # The extension re-armed the warning at the fraction of the time left; the original one (half the resolve span
    # after the dispatch) could only have come if the grant reached the workflow after it was due.
    *before_grant, warning = lc.of(granted_ticket, "resolve", "warned")
    assert_on_time(warning, grant.occurred_at + (new_g - grant.occurred_at) * WARNING_FRACTION, "re-armed warning")
    assert warning.notice.cycle == granted_level1.notice.cycle
    assert len(before_grant) <= 1 and all(p.at < warning.at and p.notice.cycle != warning.notice.cycle for p in before_grant)


# --------------------------------------------------------------------------- 4. return and re-dispatch


async def test_a_returned_ticket_goes_back_to_dispatch_counts_returns_and_escalates_with_a_new_event_id(
    lc: Lifecycle,
) -> None:
    t = await lc.file()
    await eventually(lambda: len(lc.of(t, "dispatch", "escalated")) >= 1, what="first round level 1")
    first_round = lc.of(t, "dispatch", "escalated")[0]

    await lc.send(dispatched(t), returned(t))
    current = await lc.state(t)
    assert (current["stage"], set(current["timers"]), current["returns_by_department"]) == (
        "awaiting_dispatch", {"dispatch"}, {URBAN: 1},
    )
    redispatch, second_return = dispatched(t), returned(t)
    await lc.send(redispatch, second_return)
    current = await lc.state(t)
    assert (current["stage"], current["returns_by_department"]) == ("awaiting_dispatch", {URBAN: 2})
    new_deadline = second_return.occurred_at + timedelta(seconds=DISPATCH_S)
    assert datetime.fromisoformat(current["timers"]["dispatch"]["deadline"]) == new_deadline
    new_cycle = current["timers"]["dispatch"]["cycle"]
    assert new_cycle > first_round.notice.cycle

    def new_round() -> list[Published]:
        return [p for p in lc.of(t, "dispatch", "escalated") if p.notice.cycle == new_cycle]

    await eventually(lambda: len(new_round()) >= 1, what="new round level 1")
    level1 = new_round()[0]  # level 2 follows a second later: a busy worker may publish both before a poll
    assert level1.notice.level == 1
    assert_on_time(level1, new_deadline, "new round level 1")
    assert level1.event_id != first_round.event_id
    # The first round climbed no further than its ladder had come due before the dispatch stopped it (level 2 is due
    # a second after level 1: only a slow machine lets it through).
    first = [p.notice.level for p in lc.of(t, "dispatch", "escalated") if p.notice.cycle == first_round.notice.cycle]
    due = due_times(t.occurred_at, DISPATCH_S)
    assert first[0] == 1 and all(due[("escalated", level)] <= redispatch.occurred_at for level in first[1:]), first
    assert (await lc.state(t))["department_id"] == URBAN


# --------------------------------------------------------------------------- 5. reopen and joint handling


async def test_a_reopen_restarts_dispatch_and_a_joint_handling_reopen_starts_the_joint_handling_clock(lc: Lifecycle) -> None:
    """Since SUMMONS_PATCH a second failure gives the community `joint_on_site` to 吹哨报到 (stage joint_handling,
    warned and escalated like any stage); runs from before escalated to level 2 at once (their histories replay)."""
    normal, joint = await lc.file(), await lc.file()
    normal_reopen, joint_reopen = reopened(normal, reopen_count=1), reopened(joint, reopen_count=2, joint_handling=True)
    # Each reopen right after its resolution, well inside the rating window.
    await lc.send(dispatched(normal), accepted(normal), contacted(normal), resolved(normal), normal_reopen)
    await lc.send(dispatched(joint), accepted(joint), contacted(joint), resolved(joint), joint_reopen)

    n, j = await lc.state(normal), await lc.state(joint)
    assert (n["stage"], set(n["timers"]), n["reopen_count"], n["joint_handling"]) == ("awaiting_dispatch", {"dispatch"}, 1, False)
    assert datetime.fromisoformat(n["timers"]["dispatch"]["deadline"]) == normal_reopen.occurred_at + timedelta(seconds=DISPATCH_S)
    assert (j["stage"], set(j["timers"]), j["reopen_count"], j["joint_handling"]) == (
        "awaiting_dispatch", {"joint_handling"}, 2, True
    )
    joint_due = joint_reopen.occurred_at + timedelta(seconds=JOINT_ON_SITE_S)
    assert datetime.fromisoformat(j["timers"]["joint_handling"]["deadline"]) == joint_due

    await eventually(lambda: len(lc.of(joint, "joint_handling", "escalated")) >= 1, what="joint handling escalation")
    joint_escalation = lc.of(joint, "joint_handling", "escalated")[0]
    assert joint_escalation.notice.level == 1
    assert_on_time(joint_escalation, joint_due, "joint handling escalates at its deadline")
    event = deadline_event(joint_escalation.notice)
    assert isinstance(event, TicketEscalated) and (event.stage, event.level, event.deadline) == ("joint_handling", 1, joint_due)
    assert j["escalations_total"] == 0

    await eventually(lambda: len(lc.of(normal, "dispatch", "escalated")) >= 1, what="reopened dispatch level 1")
    assert_on_time(lc.of(normal, "dispatch", "escalated")[0], normal_reopen.occurred_at + timedelta(seconds=DISPATCH_S), "reopen")
    assert lc.of(normal, "rating") == [] and lc.of(joint, "rating") == []  # the reopen stopped the rating window


# --------------------------------------------------------------------------- 6. duplicates, closing, suspension


async def test_a_redelivered_event_with_the_same_event_id_is_ignored(lc: Lifecycle) -> None:
    t = await lc.file()
    first_dispatch = dispatched(t)

    await lc.send(first_dispatch, first_dispatch, accepted(t), first_dispatch)

    current = await lc.state(t)
    assert current["seen_events"] == 2
    assert current["stage"] == "in_progress"  # the late duplicate did not move it back to awaiting_acceptance
    assert set(current["timers"]) == {"contact", "resolve"}


async def test_every_started_or_moved_deadline_is_announced_as_the_workflow_counts_it(lc: Lifecycle) -> None:
    def announced(stage: str) -> list[tuple[str, str | None]]:
        return [(p.notice.deadline, p.notice.warn_at) for p in lc.of(t, stage, kind="deadline_set")]

    async def timers() -> dict:
        return (await lc.state(t))["timers"]

    t = await lc.file()
    await eventually(lambda: len(announced("dispatch")) == 1, what="the dispatch deadline announced")
    running = await timers()
    assert announced("dispatch") == [(running["dispatch"]["deadline"], running["dispatch"]["warn_at"])]
    await lc.send(dispatched(t))
    await eventually(lambda: announced("accept") and announced("resolve"), what="accept and resolve announced")
    request = extension_requested(t, RESOLVE_S)
    await lc.send(request, extension_granted(t, request))
    await eventually(lambda: len(announced("resolve")) == 2, what="the extended deadline announced")
    running = await timers()
    assert announced("resolve")[-1] == (running["resolve"]["deadline"], running["resolve"]["warn_at"])
    await lc.send(suspended(t))
    await asyncio.sleep(1)
    await lc.send(resumed(t))
    await eventually(lambda: len(announced("resolve")) == 3 and len(announced("accept")) == 2, what="shifted deadlines")
    running = await timers()
    assert announced("accept")[-1][0] == running["accept"]["deadline"] > announced("accept")[0][0]
    assert all(p.notice.department_id == URBAN for p in lc.of(t, "resolve", kind="deadline_set"))


async def test_a_ticket_placed_by_street_triage_is_chased_in_its_new_community_on_the_same_clock(lc: Lifecycle) -> None:
    t = await lc.file()  # "C-1" stands for the street's triage queue here
    await lc.send(assigned(t, "C-2"))
    await eventually(lambda: len(lc.of(t, "dispatch", "escalated")) >= 1, timeout=60, what="dispatch level 1")
    got = lc.of(t, "dispatch")
    assert {p.notice.community_id for p in got} == {"C-2"}  # 催办 and 督办 go to the community that now holds it
    assert {datetime.fromisoformat(p.notice.deadline) for p in got} == {t.occurred_at + timedelta(seconds=DISPATCH_S)}
    current = await lc.state(t)
    assert (current["stage"], current["seen_events"]) == ("awaiting_dispatch", 1)


async def test_the_rating_window_expiring_starts_the_callback_stage_which_is_chased_until_the_call_closes_it(
    lc: Lifecycle,
) -> None:
    t = await lc.file()
    resolution = resolved(t)
    await lc.send(dispatched(t), resolution)
    window_end = resolution.occurred_at + timedelta(seconds=RATING_S)

    await eventually(lambda: lc.of(t, "callback", kind="callback_due"), timeout=RATING_S + 60, what="回访 requested")
    (due,) = lc.of(t, "callback", kind="callback_due")
    assert_on_time(due, window_end, "rating window")
    event = deadline_event(due.notice)
    assert isinstance(event, CallbackRequested) and (event.community_id, event.department_id) == ("C-1", URBAN)
    assert event.deadline == window_end + timedelta(seconds=CALLBACK_S)
    assert event.event_id == deadline_event(due.notice).event_id  # a retry re-sends the same event
    current = await lc.state(t)
    assert (current["stage"], set(current["timers"])) == ("awaiting_callback", {"callback"})
    assert lc.of(t, kind="rating_expired") == []  # the ticket no longer closes silently
    # The call is late: 催办 then 督办, like any stage.
    await eventually(lambda: lc.of(t, "callback", "escalated"), timeout=CALLBACK_S + 60, what="callback escalated")
    assert [p.notice.kind for p in lc.of(t, "callback")][:3] == ["callback_due", "warned", "escalated"]
    await lc.send(closed(t))  # the call's outcome (or the last unreachable attempt) closes it
    summary = await asyncio.wait_for(lc.handle(t).result(), timeout=60)
    assert (summary["stage"], summary["department_id"]) == ("closed", URBAN)


async def test_merging_or_closing_the_ticket_completes_the_workflow_with_its_summary(lc: Lifecycle) -> None:
    merged_ticket, closed_ticket = await lc.file(), await lc.file()
    merged_in = await send(lc, merged(merged_ticket))
    dispatch, accept, resolution, closing = (make(closed_ticket) for make in (dispatched, accepted, resolved, closed))
    dispatch_in, accept_in, resolution_in, closing_in = [await send(lc, event) for event in (dispatch, accept, resolution, closing)]

    merged_summary = await asyncio.wait_for(lc.handle(merged_ticket).result(), timeout=60)
    closed_summary = await asyncio.wait_for(lc.handle(closed_ticket).result(), timeout=60)

    assert (merged_summary["stage"], merged_summary["events_seen"]) == ("closed", 1)
    assert (await lc.handle(merged_ticket).describe()).status == WorkflowExecutionStatus.COMPLETED
    assert closed_summary["ticket_id"] == closed_ticket.ticket_id
    assert (closed_summary["stage"], closed_summary["department_id"], closed_summary["events_seen"]) == ("closed", URBAN, 4)
    assert closed_summary["escalations"] == len(lc.of(closed_ticket, kind="escalated"))
    assert datetime.fromisoformat(closed_summary["closed_at"]) == closing.occurred_at
    assert datetime.fromisoformat(closed_summary["filed_at"]) == closed_ticket.occurred_at
    assert closed_summary["policy_version"] == 7
    # Nothing after the end (and nothing at all, unless the machine was too slow to beat the first warning).
    await asyncio.sleep(SETTLE.total_seconds())
    assert_stopped(lc, merged_ticket, "dispatch", merged_ticket.occurred_at, DISPATCH_S, merged_in)
    assert_stopped(lc, closed_ticket, "dispatch", closed_ticket.occurred_at, DISPATCH_S, dispatch_in)
    assert_stopped(lc, closed_ticket, "accept", dispatch.occurred_at, ACCEPT_S, accept_in)
    assert_stopped(lc, closed_ticket, "contact", accept.occurred_at, CONTACT_S, resolution_in)
    assert_stopped(lc, closed_ticket, "resolve", dispatch.occurred_at, RESOLVE_S, resolution_in)
    assert_stopped(lc, closed_ticket, "rating", resolution.occurred_at, RATING_S, closing_in)


async def test_suspending_pauses_every_timer_and_resuming_shifts_the_deadline_by_the_paused_time(lc: Lifecycle) -> None:
    t = await lc.file()
    pause = suspended(t)
    paused_in = await send(lc, pause)
    assert (await lc.state(t))["suspended"] is True
    await asyncio.sleep(DISPATCH_S * WARNING_FRACTION + SETTLE.total_seconds())  # past the original warning time
    assert_stopped(lc, t, "dispatch", t.occurred_at, DISPATCH_S, paused_in)  # no warning while suspended
    resume = resumed(t)
    await lc.send(resume)

    paused = resume.occurred_at - pause.occurred_at
    current = await lc.state(t)
    assert current["suspended"] is False
    assert datetime.fromisoformat(current["timers"]["dispatch"]["deadline"]) == t.occurred_at + timedelta(seconds=DISPATCH_S) + paused
    await eventually(lambda: len(lc.of(t, "dispatch", "escalated")) >= 1, what="level 1 after resume")
    warning, level1 = lc.of(t, "dispatch")[:2]
    warn_at = t.occurred_at + timedelta(seconds=DISPATCH_S * WARNING_FRACTION)
    if warning.at < resume.occurred_at:  # a slow machine let the warning fire before the suspension arrived
        assert_on_time(warning, warn_at, "warning before the suspension")
    else:
        assert_on_time(warning, warn_at + paused, "shifted warning")
    assert_on_time(level1, t.occurred_at + timedelta(seconds=DISPATCH_S) + paused, "shifted level 1")


# --------------------------------------------------------------------------- a signal and a timer in one workflow task


async def test_a_reopen_that_reaches_the_workflow_with_the_rating_expiry_still_reopens_the_ticket(client: Client) -> None:
    """The worker is down while the resident reopens in time and the rating window then passes: on restart both
    arrive in one workflow task. The reopen was first; the stale rating alarm must not close the ticket."""
    async with running_lifecycle(client) as first:
        t = await first.file()
        resolution = resolved(t)
        await first.send(dispatched(t), resolution)
        assert (await first.state(t))["stage"] == "awaiting_rating"
    # worker stopped
    reopen = reopened(t)
    await first.send(reopen)
    await sleep_until(resolution.occurred_at + timedelta(seconds=RATING_S + 0.5))  # the rating timer has fired

    async with running_lifecycle(client, task_queue=first.task_queue, publisher=first.publisher) as restarted:
        await asyncio.sleep(0.5)
        current = await restarted.state(t)
        assert (current["stage"], set(current["timers"]), current["reopen_count"]) == ("awaiting_dispatch", {"dispatch"}, 1)
        assert restarted.of(t, "rating") == [], "no TicketClosed(rating_window_expired) for a reopened ticket"
        assert (await restarted.handle(t).describe()).status == WorkflowExecutionStatus.RUNNING
        await restarted.send(closed(t))
        await restarted.handle(t).result()


async def test_a_joint_handling_deadline_is_not_lost_when_the_workflow_continues_as_new(short_history_temporal: str) -> None:
    client = await Client.connect(short_history_temporal)
    async with running_lifecycle(client, policy=load_policy()) as lc:  # the shipped policy: hours, no timer fires
        t = await lc.file()
        first_run_id = (await lc.handle(t).describe()).run_id
        reopens = [reopened(t, reopen_count=n, joint_handling=True) for n in range(2, 22)]
        await lc.send(*reopens)

        joint = lambda: lc.of(t, "joint_handling", "deadline_set")  # noqa: E731 - each reopen announces its joint clock
        await eventually(lambda: len(joint()) >= len(reopens), timeout=60, what="every joint handling deadline")
        for _ in range(100):  # the continue-as-new comes once the notices are out
            if (await lc.handle(t).describe()).run_id != first_run_id:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the test needs a continue-as-new")
        assert (await lc.state(t))["reopen_count"] == reopens[-1].reopen_count
        assert len({p.event_id for p in joint()}) == len(reopens)
        await lc.send(closed(t))
        await lc.handle(t).result()


# --------------------------------------------------------------------------- bridge idempotency, continue-as-new


async def test_a_redelivered_filing_does_not_start_a_second_workflow(lc: Lifecycle) -> None:
    t = filed()
    await lc.bridge.start_ticket_workflow(t)
    await lc.bridge.start_ticket_workflow(t)
    await lc.send(closed(t))
    await lc.handle(t).result()

    await lc.bridge.start_ticket_workflow(t)  # after closing too: no error, no new run

    assert (await lc.handle(t).describe()).status == WorkflowExecutionStatus.COMPLETED


async def test_a_signal_for_a_closed_or_unknown_ticket_is_skipped(lc: Lifecycle) -> None:
    t, unknown = await lc.file(), filed()
    await lc.send(closed(t))
    summary = await lc.handle(t).result()
    before = await lc.handle(t).describe()

    await lc.send(dispatched(t), dispatched(unknown))  # no exception: the consumer moves on

    after = await lc.handle(t).describe()
    assert (after.status, after.run_id, after.history_length) == (WorkflowExecutionStatus.COMPLETED, before.run_id, before.history_length)
    assert await lc.handle(t).result() == summary and summary["events_seen"] == 1, "the closed ticket took no signal"
    with pytest.raises(RPCError) as missing:
        await lc.handle(unknown).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND, "no workflow was started for the unknown ticket"


async def test_state_carried_across_continue_as_new_still_ignores_seen_events(lc: Lifecycle) -> None:
    ticket_id = f"T-{uuid.uuid4()}"
    now = datetime.now(timezone.utc)
    far = (now + timedelta(hours=1)).isoformat()
    carried = TicketWorkflowInput(
        ticket_id=ticket_id,
        community_id="C-1",
        urgency="ordinary",
        category="lighting",
        filed_at=now.isoformat(),
        sla=lc.bridge.sla.policy.for_ticket("ordinary", "lighting").to_dict(),
        calendar=load_calendar().to_dict(),
        stage="awaiting_acceptance",
        department_id=URBAN,
        timers=[StageTimer(name="accept", started_at=now.isoformat(), deadline=far, warn_at=far, cycle=3)],
        seen_event_ids=["e-dispatched"],
        timer_starts=3,
    )
    handle = await lc.client.start_workflow(TicketWorkflow.run, carried, id=ticket_id, task_queue=lc.task_queue)

    await handle.signal(TicketWorkflow.ticket_event, TicketEventSignal("e-dispatched", "TicketReturned", now.isoformat()))
    current = await handle.query(TicketWorkflow.state)

    assert (current["stage"], set(current["timers"]), current["returns_by_department"]) == ("awaiting_acceptance", {"accept"}, {})
    assert current["timers"]["accept"]["cycle"] == 3


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


async def test_a_long_lived_ticket_continues_as_new_and_keeps_its_state(short_history_temporal: str) -> None:
    client = await Client.connect(short_history_temporal)
    async with running_lifecycle(client, policy=load_policy()) as lc:  # the shipped policy: hours, nothing fires
        t = await lc.file()
        first_run_id = (await lc.handle(t).describe()).run_id
        moves = [dispatched(t) if i % 2 == 0 else returned(t) for i in range(30)]

        await lc.send(*moves)
        await lc.send(moves[0], moves[-1])  # redeliveries from before the continue-as-new

        handle = lc.handle(t)
        for _ in range(120):  # the announced deadlines are published before the run continues as new
            if (await handle.describe()).run_id != first_run_id:
                break
            await asyncio.sleep(0.5)
        assert (await handle.describe()).run_id != first_run_id
        current = await handle.query(TicketWorkflow.state)
        assert (current["stage"], current["seen_events"], current["returns_by_department"]) == (
            "awaiting_dispatch", 30, {URBAN: 15},
        )
        assert current["policy_version"] == 1
        await lc.send(closed(t))
        summary = await handle.result()
        assert (summary["events_seen"], summary["dispatch_cycles"]) == (31, 16)
        assert lc.of(t) == []  # no alarm went off
        # Every deadline was announced once, across the continue-as-new: filing, 15 dispatches (accept and
        # resolve), 15 returns (dispatch again).
        announced = lc.of(t, kind="deadline_set")
        assert len({p.event_id for p in announced}) == 1 + 15 * 2 + 15, [(p.notice.stage, p.notice.cycle) for p in announced]


def test_a_retried_notice_carries_the_same_event_id_and_each_cycle_its_own() -> None:
    notice = DeadlineNotice(
        kind="escalated", ticket_id="T-1", stage="dispatch", level=2, cycle=1, deadline="2026-05-01T10:00:00+08:00", community_id="C-1"
    )
    first, retry = deadline_event(notice), deadline_event(notice)
    next_round = deadline_event(DeadlineNotice(**{**notice.__dict__, "cycle": 2}))

    assert first.event_id == retry.event_id != next_round.event_id
    assert (first.type, first.level, first.actor.role, first.actor.id) == ("TicketEscalated", 2, "system", "workflows")
