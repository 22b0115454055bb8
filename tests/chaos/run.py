"""Chaos rounds: under a steady load, SIGKILL one component, restart it, measure recovery; at the end verify.

    .venv/bin/python -m tests.chaos.run --rounds 100            # make chaos ROUNDS=100
    .venv/bin/python -m tests.chaos.run --each                  # one kill of each component (what `make test` runs)

Writes bench/results/chaos-<commit>.json (or --out): rounds, kills per component, recovery seconds p50/p99 (from the
kill to every process alive and every service's /readyz 200), 5xx and unanswered requests per fault window, and the
verification (lost, duplicated, stuck, dead-lettered, missing workflows, missed deadlines). Exit code 1 when the
verification finds anything. Everything runs on 127.0.0.1 on free ports and stops at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.chaos.harness import COMPONENTS, REPO, ChaosStack
from tests.chaos.load import Load
from tests.chaos.verify import passed, report


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 2)


def plan(rounds: int | None, seed: int) -> list[str]:
    """Each component once in a shuffled order (rounds=None), or `rounds` random picks."""
    rng = random.Random(seed)
    if rounds is None:
        order = list(COMPONENTS)
        rng.shuffle(order)
        return order
    return [rng.choice(COMPONENTS) for _ in range(rounds)]


async def chaos(base: Path, victims: list[str], *, seed: int = 0, rate: float = 2.0, warmup: float = 10.0,
                pause: float = 3.0, log=print) -> dict:
    rng = random.Random(seed)
    started = time.monotonic()
    with ChaosStack(base) as stack:
        log(f"stack ready in {time.monotonic() - started:.0f}s under {base}")
        load = Load(stack.urls, rate=rate, seed=seed)
        driving = asyncio.create_task(load.run())
        await asyncio.sleep(warmup)
        windows = []
        try:
            for i, name in enumerate(victims, 1):
                down_for = rng.uniform(0, 3)
                t_kill = time.monotonic()
                await asyncio.to_thread(stack.kill, name)
                await asyncio.sleep(down_for)
                await asyncio.to_thread(stack.restart, name)
                await asyncio.to_thread(stack.wait_all_ready)
                t_ready = time.monotonic()
                errors = load.server_errors_between(t_kill, t_ready)
                windows.append({"round": i, "component": name, "down_s": round(down_for, 2),
                                "recovery_s": round(t_ready - t_kill, 2), **errors})
                log(f"round {i}/{len(victims)}: {name:<10} down {down_for:.1f}s, ready again after {t_ready - t_kill:5.1f}s, "
                    f"5xx {errors['5xx']} (not 503: {errors['5xx_other_than_503']}), unanswered {errors['no_answer']}")
                await asyncio.sleep(pause)
        finally:
            await load.stop()
            driving.cancel()
            await asyncio.gather(driving, return_exceptions=True)
        log("load stopped; verifying ...")
        verdict = await report(stack.urls, stack.stack.kafka_bootstrap, stack.stack.temporal_address, stack.pg.url, load.tickets)
    recovery = [w["recovery_s"] for w in windows]
    per_component = {}
    for name in sorted(set(victims)):
        rs = [w["recovery_s"] for w in windows if w["component"] == name]
        per_component[name] = {"kills": len(rs), "recovery_p50_s": pct(rs, 0.5), "recovery_p99_s": pct(rs, 0.99),
                               "5xx": sum(w["5xx"] for w in windows if w["component"] == name),
                               "5xx_other_than_503": sum(w["5xx_other_than_503"] for w in windows if w["component"] == name)}
    return {
        "rounds": len(windows),
        "kills_per_component": dict(Counter(w["component"] for w in windows)),
        "recovery_p50_s": pct(recovery, 0.5),
        "recovery_p99_s": pct(recovery, 0.99),
        "recovery_mean_s": round(statistics.fmean(recovery), 2) if recovery else None,
        "per_component": per_component,
        "fault_windows": windows,
        "5xx_total": sum(w["5xx"] for w in windows),
        "5xx_other_than_503_total": sum(w["5xx_other_than_503"] for w in windows),
        "verification": verdict,
        "passed": passed(verdict),
        "duration_s": round(time.monotonic() - started, 1),
        "seed": seed,
        "load_rate_per_s": rate,
    }


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.run", description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--rounds", type=int, help="random kills (any component, repeats allowed)")
    what.add_argument("--each", action="store_true", help="one kill of each component, shuffled")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--rate", type=float, default=2.0, help="new tickets per second")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    victims = plan(None if args.each else args.rounds, args.seed)
    base = Path(tempfile.mkdtemp(prefix="whistle-chaos-"))
    result = asyncio.run(chaos(base, victims, seed=args.seed, rate=args.rate, log=lambda m: print(m, flush=True)))
    result["commit"] = commit()
    out = args.out or REPO / "bench" / "results" / f"chaos-{result['commit']}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    v = result["verification"]
    print(f"\n{result['rounds']} rounds, recovery p50 {result['recovery_p50_s']}s p99 {result['recovery_p99_s']}s, "
          f"5xx {result['5xx_total']} (other than 503: {result['5xx_other_than_503_total']}); "
          f"acknowledged {v['acknowledged_filings']}, lost {v['lost']}, duplicated {v['duplicated']}, "
          f"stuck {v['stuck_outbox_rows']}, dead-lettered {v['dead_lettered']}, missing workflows {v['missing_workflows']}, "
          f"deadlines missed {v['deadline_missed']} -> {'PASS' if result['passed'] else 'FAIL'}\nwrote {out}\nlogs under {base}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
