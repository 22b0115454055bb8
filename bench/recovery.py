"""Where the seconds of a recovery go: SIGKILL one component of the chaos stack (tests/chaos/harness.py, every
service, the worker, Kafka, Temporal and PostgreSQL at production durability on free ports), restart it at once,
and time each step: the component answering again, then every service's /readyz turning 200 (with the reason each
gave while it was not ready, from its /readyz body). No load: this measures the machinery, not a queue.

    PYTHONPATH=. .venv/bin/python bench/recovery.py [--component kafka] [--kills 3] [--label what-differs]

Prints a table and writes bench/results/recovery-<component>-<commit>[-<label>].json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from deploy.stack import SERVICES  # noqa: E402
from tests.chaos.harness import COMPONENTS, ChaosStack  # noqa: E402


def readyz(url: str) -> tuple[int, str]:
    try:
        answer = httpx.get(f"{url}/readyz", timeout=2)
    except httpx.HTTPError as exc:
        return 0, type(exc).__name__
    if answer.status_code == 200:
        return 200, ""
    try:
        return answer.status_code, "; ".join(f"{k}: {v}"[:90] for k, v in answer.json().get("problems", {}).items())
    except ValueError:
        return answer.status_code, answer.text[:90]


def one_kill(stack: ChaosStack, component: str, timeout: float = 240) -> dict:
    t0 = time.monotonic()
    stack.kill(component)
    killed = time.monotonic() - t0
    stack.restart(component)
    answering = time.monotonic() - t0
    ready_at: dict[str, float] = {}
    reasons: dict[str, set[str]] = {name: set() for name in SERVICES}
    while len(ready_at) < len(SERVICES) and time.monotonic() - t0 < timeout:
        for name in SERVICES:
            if name in ready_at:
                continue
            status, why = readyz(stack.urls[name])
            if status == 200:
                ready_at[name] = round(time.monotonic() - t0, 2)
            else:
                reasons[name].add(why or f"HTTP {status}")
        time.sleep(0.1)
    return {"killed_s": round(killed, 2), "answering_s": round(answering, 2), "ready_s": ready_at,
            "all_ready_s": max(ready_at.values()) if len(ready_at) == len(SERVICES) else None,
            "not_ready_because": {k: sorted(v)[:4] for k, v in reasons.items() if v}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--component", choices=COMPONENTS, default="kafka")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--label", default="", help="added to the result's file name and recorded in it (what differs)")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    base = Path(tempfile.mkdtemp(prefix="whistle-recovery-"))
    runs = []
    with ChaosStack(base) as stack:
        time.sleep(5)
        for i in range(args.kills):
            run = one_kill(stack, args.component)
            runs.append(run)
            print(f"kill {i + 1}: {args.component} answering after {run['answering_s']:.1f}s, every service ready after "
                  f"{run['all_ready_s']}s")
            time.sleep(5)
    print(f"\n{'service':<12}" + "".join(f"{f'kill {i + 1}':>10}" for i in range(len(runs))) + "   not ready because (first kill)")
    for name in SERVICES:
        cells = "".join(f"{r['ready_s'].get(name, float('nan')):>10.1f}" for r in runs)
        print(f"{name:<12}{cells}   {' | '.join(runs[0]['not_ready_because'].get(name, []))[:150]}")
    totals = [r["all_ready_s"] for r in runs if r["all_ready_s"] is not None]
    result = {"component": args.component, "commit": commit, "kills": runs,
              "answering_s_median": statistics.median(r["answering_s"] for r in runs),
              "all_ready_s_median": statistics.median(totals) if totals else None,
              "label": args.label, "machine": "2 cores, load as it was (see the note)", "logs": str(base)}
    out = REPO / "bench" / "results" / f"recovery-{args.component}-{commit}{'-' + args.label if args.label else ''}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(f"\nmedian: answering {result['answering_s_median']}s, all ready {result['all_ready_s_median']}s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
