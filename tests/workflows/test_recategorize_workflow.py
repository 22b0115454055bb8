"""分类调整 on a real Temporal dev server: a recategorized ticket lives by its new category's clocks.

The policy here keeps every stage long (nothing can expire under the test) except heating's dispatch clock, the one
deadline the first test watches pass. The ladder's times are bounded as in test_ticket_workflow.py (never early, up
to LATE late on a loaded machine); the other deadlines are read from the workflow's state, not waited for.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from temporalio.client import Client

from libs.sla.policy import STAGES, SlaPolicy
from tests.workflows.ticket_harness import (
    POLICY_DOC,
    WARNING_FRACTION,
    Lifecycle,
    accepted,
    closed,
    contacted,
    dispatched,
    eventually,
    ladder,
    recategorized,
    resolved,
    running_lifecycle,
)

EARLY = timedelta(milliseconds=50)
LATE = timedelta(seconds=15)
LONG_S = 3600.0
HEATING_DISPATCH_S, HEATING_RESOLVE_S = 3.0, 7200.0


def _span(seconds: float) -> dict:
    return {"amount": seconds, "unit": "seconds"}


POLICY = SlaPolicy.parse({
    **POLICY_DOC,
    "urgencies": {u: {s: _span(LONG_S) for s in STAGES} for u in ("emergency", "urgent", "ordinary", "complex")},
    "categories": {"heating": {"dispatch": _span(HEATING_DISPATCH_S), "resolve": _span(HEATING_RESOLVE_S)}},
})


@pytest.fixture(scope="module")
async def client(temporal_address: str) -> Client:
    return await Client.connect(temporal_address)


@pytest.fixture
async def lc(client: Client) -> AsyncIterator[Lifecycle]:
    async with running_lifecycle(client, POLICY) as running:
        yield running


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_a_ticket_recategorized_to_heating_runs_on_heatings_clocks_from_then_on(lc: Lifecycle) -> None:
    t = await lc.file()  # lighting: an hour for everything
    filed_at = t.occurred_at
    await eventually(lambda: lc.of(t, "dispatch", "deadline_set"), what="the first dispatch deadline announced")
    assert at(lc.of(t, "dispatch", "deadline_set")[0].notice.deadline) == filed_at + timedelta(seconds=LONG_S)

    await lc.send(recategorized(t, "heating"))

    # The running community clock keeps its start but is due after heating's span: announced, then the whole ladder.
    await eventually(lambda: len(lc.of(t, "dispatch", "deadline_set")) == 2, what="the moved deadline announced")
    moved = lc.of(t, "dispatch", "deadline_set")[1].notice
    assert at(moved.deadline) == filed_at + timedelta(seconds=HEATING_DISPATCH_S)
    assert at(moved.warn_at) == filed_at + timedelta(seconds=HEATING_DISPATCH_S * WARNING_FRACTION)
    await eventually(lambda: len(lc.of(t, "dispatch")) == 4, timeout=120, what="warned and levels 1-3 on heating's clock")
    got = lc.of(t, "dispatch")
    expected = ladder(filed_at, HEATING_DISPATCH_S)
    assert [(p.notice.kind, p.notice.level) for p in got] == [(k, lv) for k, lv, _ in expected]
    for p, (kind, level, when) in zip(got, expected):
        assert when - EARLY <= p.at <= when + LATE, f"dispatch {kind} {level}: due {when}, published {p.at}"
        assert at(p.notice.deadline) == filed_at + timedelta(seconds=HEATING_DISPATCH_S)

    # The stages to come take heating's spans where it has its own (resolve), the urgency's elsewhere (accept).
    dispatch = dispatched(t)
    await lc.send(dispatch)
    await eventually(lambda: lc.of(t, "resolve", "deadline_set"), what="the resolve deadline announced")
    timers = (await lc.state(t))["timers"]
    assert at(timers["resolve"]["deadline"]) == dispatch.occurred_at + timedelta(seconds=HEATING_RESOLVE_S)
    assert at(timers["accept"]["deadline"]) == dispatch.occurred_at + timedelta(seconds=LONG_S)

    await lc.send(accepted(t), contacted(t), resolved(t), closed(t))
    summary = await lc.handle(t).result()
    assert summary["category"] == "heating" and summary["escalations"] == 3


async def test_an_emergency_keeps_its_own_clocks_and_a_redelivered_recategorization_changes_nothing(lc: Lifecycle) -> None:
    """Category overrides never apply to an emergency (the policy's rule): its deadline does not move, nothing is
    announced; the same event delivered twice is applied once."""
    t = await lc.file(urgency="emergency")
    await eventually(lambda: lc.of(t, "dispatch", "deadline_set"), what="the dispatch deadline announced")
    before = (await lc.state(t))["timers"]["dispatch"]
    change = recategorized(t, "heating")
    await lc.send(change, change)
    state = await lc.state(t)  # queries are consistent: they see every signal accepted before them
    assert state["timers"]["dispatch"] == before
    assert state["seen_events"] == 1 and len(lc.of(t, "dispatch", "deadline_set")) == 1

    plain = await lc.file()  # an ordinary ticket: the second delivery of its recategorization moves nothing again
    other = recategorized(plain, "heating")
    await lc.send(other, other)
    await eventually(lambda: len(lc.of(plain, "dispatch", "deadline_set")) == 2, what="the moved deadline announced")
    assert (await lc.state(plain))["seen_events"] == 1
    await lc.send(closed(t), closed(plain))
    await lc.handle(t).result()
    await lc.handle(plain).result()
    assert len(lc.of(plain, "dispatch", "deadline_set")) == 2
