"""Running tickets must survive a deploy: every recorded history replays on the current TicketWorkflow code.

A failure here means the change would break tickets already in flight (non-determinism on their next workflow
task). Guard the new behaviour with `workflow.patched("...")` instead; see README.md in this folder.
"""
from __future__ import annotations

from dataclasses import replace

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.converter import JSONPlainPayloadConverter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, WorkflowReplayResult

from libs.sla.policy import Span
from workflows.ticket_lifecycle.shared import TicketWorkflowInput
from workflows.ticket_lifecycle.patches import CALLBACK_PATCH, DEADLINE_EVENTS_PATCH, RECATEGORIZE_PATCH, SUMMONS_PATCH
from workflows.ticket_lifecycle.timers import DEADLINE_SET
from workflows.ticket_lifecycle.workflows import A7E32EF_PATCH, TicketWorkflow

HISTORIES = sorted((Path(__file__).resolve().parent / "histories").glob("*.json"))


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, json.loads(path.read_text(encoding="utf-8")))


def test_there_are_recorded_histories_to_replay() -> None:
    assert len(HISTORIES) >= 10, "histories are append-only (MANIFEST.sha256); run tests/workflows/record_histories.py"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_a_recorded_ticket_history_replays_on_the_current_workflow_code(path: Path) -> None:
    history = load(path)
    assert history.events[0].workflow_execution_started_event_attributes.workflow_type.name == "TicketWorkflow"

    result = await Replayer(workflows=[TicketWorkflow]).replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure!r}"


@workflow.defn(name="TicketWorkflow", sandboxed=False)
class CarelessTicketWorkflow(TicketWorkflow):
    """TicketWorkflow under its real name with a careless change switched on (a test sets one of the flags)."""

    forget_warnings = False  # no more 催办 warnings: tickets in flight had timers for them
    forget_the_activity_era = False  # what a7e32ef shipped: every run publishes through a local activity
    announce_unpatched = False  # StageDeadlineSet without workflow.patched(): old runs would publish it too
    callback_unpatched = False  # 回访 without workflow.patched(): old runs would start a callback stage too
    summons_unpatched = False  # the joint_handling clock without workflow.patched(): old joint runs would take it too

    @workflow.init
    def __init__(self, input: TicketWorkflowInput) -> None:
        super().__init__(input)

    @workflow.run
    async def run(self, input: TicketWorkflowInput) -> dict[str, Any]:
        return await super().run(input)

    def _start(self, name: str, started: str, span: Span) -> None:
        super()._start(name, started, span)
        if self.forget_warnings:
            self._timers[name].warn_at = None

    def _since_a7e32ef(self) -> bool:  # type: ignore[override]
        return self.forget_the_activity_era or super()._since_a7e32ef()

    def _announce(self, timer) -> None:  # noqa: ANN001 - a StageTimer
        if not self.announce_unpatched:
            return super()._announce(timer)
        self._immediate.append(replace(self._notice(DEADLINE_SET, timer.name, 0, timer.deadline, timer.cycle), warn_at=timer.warn_at))


async def replay_carelessly(monkeypatch: pytest.MonkeyPatch, change: str, path: Path) -> WorkflowReplayResult:
    monkeypatch.setattr(CarelessTicketWorkflow, change, True)
    return await Replayer(workflows=[CarelessTicketWorkflow], workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(
        load(path), raise_on_replay_failure=False
    )


async def test_the_replayer_catches_a_change_that_would_break_running_tickets(monkeypatch: pytest.MonkeyPatch) -> None:
    path = next(p for p in HISTORIES if p.stem == "full_ladder_then_a_normal_life")

    result = await replay_carelessly(monkeypatch, "forget_warnings", path)

    assert result.replay_failure is not None
    assert "nondetermin" in str(result.replay_failure).lower(), result.replay_failure


# --------------------------------------------------------------------------- the one unmarked change (a7e32ef)


@pytest.mark.parametrize("path", [p for p in HISTORIES if p.stem.startswith("before_a7e32ef_")], ids=lambda p: p.stem)
async def test_a_history_from_before_a7e32ef_needs_the_activity_branch(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    result = await replay_carelessly(monkeypatch, "forget_the_activity_era", path)

    assert result.replay_failure is not None, "this history should need the activity branch to replay"
    assert "ActivityTaskScheduled" in str(result.replay_failure), result.replay_failure


_real_patched = workflow.patched


def patch_ids(path: Path) -> set[str]:
    markers = [
        e.marker_recorded_event_attributes
        for e in load(path).events
        if e.HasField("marker_recorded_event_attributes") and e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]
    return {JSONPlainPayloadConverter().from_payload(m.details["patch-data"].payloads[0])["id"] for m in markers}


def test_new_runs_record_the_a7e32ef_patch_marker() -> None:
    """Histories recorded since the patch carry its marker, so their replay never depends on the start time."""
    for path in (p for p in HISTORIES if p.name[:4].isdigit()):  # date-prefixed: recorded with the marker
        expected = {A7E32EF_PATCH}
        since_callback = "-callback_" in path.name or "-summons_" in path.name
        if "-deadlines_" in path.name or since_callback:
            expected.add(DEADLINE_EVENTS_PATCH)
        if since_callback and ("normal_life" in path.name or "long_waits" in path.name):
            expected.add(CALLBACK_PATCH)  # the scenarios whose rating window passes
        if "-summons_" in path.name and "joint" in path.name:
            expected.add(SUMMONS_PATCH)  # the scenarios with a second failed rating (联席办)
        if "-recategorize_" in path.name:
            expected |= {DEADLINE_EVENTS_PATCH, RECATEGORIZE_PATCH}  # 分类调整: the new category's clocks
        assert patch_ids(path) == expected, path.name


# --------------------------------------------------------------------------- StageDeadlineSet (issue 9), patched


@pytest.mark.parametrize(
    "path", [p for p in HISTORIES if "normal_life" in p.name and "-callback_" not in p.name], ids=lambda p: p.stem
)
async def test_a_callback_stage_without_the_patch_would_break_tickets_whose_rating_window_passed(
    monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    monkeypatch.setattr(workflow, "patched", lambda patch_id: patch_id == CALLBACK_PATCH or _real_patched(patch_id))
    result = await replay_carelessly(monkeypatch, "callback_unpatched", path)

    assert result.replay_failure is not None, "the patch is what keeps this history replaying"


@pytest.mark.parametrize(
    "path", [p for p in HISTORIES if "joint" in p.name and "-summons_" not in p.name], ids=lambda p: p.stem
)
async def test_a_joint_handling_clock_without_the_summons_patch_would_break_every_earlier_joint_handling_ticket(
    monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    """The careless variant: the joint_handling clock (no level-2 escalation at once) for every run, old ones too."""
    monkeypatch.setattr(workflow, "patched", lambda patch_id: patch_id == SUMMONS_PATCH or _real_patched(patch_id))
    result = await replay_carelessly(monkeypatch, "summons_unpatched", path)

    assert result.replay_failure is not None, "the summons patch is what keeps this history replaying"
    assert "nondetermin" in str(result.replay_failure).lower(), result.replay_failure


def test_the_summons_histories_carry_the_summons_signals() -> None:
    """What the new histories stand for: runs that received 吹哨报到 signals (their replay is the test above)."""
    recorded = [p for p in HISTORIES if "-summons_" in p.name and "summons" in p.name.split("-summons_")[1]]
    assert len(recorded) == 2
    for path in recorded:
        assert {"DepartmentsSummoned", "SummonsCheckedIn", "SummonsTaskCompleted"} <= signalled_types(path), path.name


def signalled_types(path: Path) -> set[str]:
    return {
        JSONPlainPayloadConverter().from_payload(e.workflow_execution_signaled_event_attributes.input.payloads[0])["type"]
        for e in load(path).events if e.HasField("workflow_execution_signaled_event_attributes")
    }


async def test_the_recategorized_history_needs_the_new_categorys_clock_to_replay() -> None:
    """分类调整 (patch recategorized-ticket-takes-the-new-category-sla): the history received TicketRecategorized, and
    code that ignored it (as every run before the patch did) would not replay it: its dispatch deadline moved."""
    [path] = [p for p in HISTORIES if "-recategorize_" in p.name]
    assert "TicketRecategorized" in signalled_types(path)
    assert not any("TicketRecategorized" in signalled_types(p) for p in HISTORIES if p != path)  # none before the patch

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(workflow, "patched", lambda patch_id: patch_id != RECATEGORIZE_PATCH and _real_patched(patch_id))
        result = await Replayer(workflows=[CarelessTicketWorkflow], workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(
            load(path), raise_on_replay_failure=False
        )
    assert result.replay_failure is not None, "ignoring the recategorization should not replay this history"


@pytest.mark.parametrize(
    "path", [p for p in HISTORIES if not any(f"-{since}_" in p.name for since in ("deadlines", "callback", "summons", "recategorize"))],
    ids=lambda p: p.stem,
)
async def test_announcing_deadlines_without_the_patch_would_break_every_earlier_ticket(
    monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    result = await replay_carelessly(monkeypatch, "announce_unpatched", path)

    assert result.replay_failure is not None, "the patch is what keeps this history replaying"


def test_runs_since_the_deadline_patch_announce_every_deadline() -> None:
    """The same scenario recorded before and after the patch: after it, more publishes (the announced deadlines)."""
    def publishes(path: Path) -> int:
        return sum(
            1 for e in load(path).events
            if e.HasField("marker_recorded_event_attributes")
            and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
        )

    recorded = [p for p in HISTORIES if "-deadlines_" in p.name]
    assert len(recorded) == 4
    for path in recorded:
        before = path.with_name(path.name.replace("-deadlines_", "_"))
        assert publishes(path) > publishes(before), path.name
