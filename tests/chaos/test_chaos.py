"""The short chaos run of `make test` (issue 13, item 1): under a steady load of filings, dispatches, acceptances and
resolutions, each component (Kafka, Temporal, PostgreSQL at production durability, the worker, every service) is
killed once with SIGKILL and restarted; then every acknowledged step is in every view, no workflow is missing, every
due deadline fired (催办 and 督办 levels 1-3 of the undispatched `property` tickets), nothing was dead-lettered,
nothing counted twice, no outbox row is stuck, and no fault window answered a 5xx other than 503.

The long run is `make chaos ROUNDS=100` (tests/chaos/run.py), which writes its figures to bench/results/.
"""
from __future__ import annotations

import json

from tests.chaos.harness import COMPONENTS
from tests.chaos.run import chaos, plan


async def test_one_kill_of_each_component_loses_nothing(tmp_path):
    result = await chaos(tmp_path / "stack", plan(None, seed=13), seed=13, warmup=8, pause=2, log=print)
    (tmp_path / "chaos.json").write_text(json.dumps(result, indent=2))
    summary = json.dumps({k: result[k] for k in ("recovery_p50_s", "recovery_p99_s", "5xx_total", "verification")}, indent=1)
    assert sorted(result["kills_per_component"]) == sorted(COMPONENTS), summary
    assert result["passed"], summary
    assert result["5xx_other_than_503_total"] == 0, summary
