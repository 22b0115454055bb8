"""Degraded modes, measured: does a filing wait for Kafka, and how fast does the backlog drain afterwards?

    PYTHONPATH=. .venv/bin/python bench/degraded.py [--n 60] [--outage 30]

Starts the chaos stack (tests/chaos/harness.py: free ports on 127.0.0.1, PostgreSQL at production durability), files
`n` tickets with Kafka up, SIGKILLs Kafka, goes on filing for `--outage` seconds (at least `n`; every one must be
acknowledged: it goes into intake's outbox), restarts Kafka and times until every ticket filed during the outage is visible in dispatch (published by the
relay and consumed). Writes bench/results/degraded-kafka.json: POST latency p50/p95/p99/max up and down, statuses, the
drain time. A figure, not an assertion: the machine's load decides the milliseconds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.chaos.harness import ChaosStack  # noqa: E402
from tests.chaos.load import headers  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000, 1)


async def file_many(client: httpx.AsyncClient, url: str, n: int, tag: str, for_s: float = 0.0) -> tuple[list[float], list[int], list[str]]:
    """File at least `n` tickets one after another, and go on until `for_s` seconds have passed."""
    resident = headers("resident", "bench-degraded", community_id="xinran")
    latencies, statuses, ids = [], [], []
    started, i = time.monotonic(), 0
    while i < n or time.monotonic() - started < for_s:
        i += 1
        t0 = time.perf_counter()
        response = await client.post(f"{url}/tickets", headers={**resident, "Idempotency-Key": uuid.uuid4().hex},
                                     json={"title": f"{tag} {i}", "description": "degraded bench", "category": "road",
                                           "community_id": "xinran"})
        latencies.append(time.perf_counter() - t0)
        statuses.append(response.status_code)
        if response.status_code == 201:
            ids.append(response.json()["id"])
    return latencies, statuses, ids


async def measure(chaos: ChaosStack, n: int, outage: float) -> dict:
    urls = chaos.urls
    staff = headers("community_staff", "bench-s", community_id="xinran")
    async with httpx.AsyncClient(timeout=60) as client:
        await file_many(client, urls["intake"], 5, "warm-up")
        up, up_status, _ = await file_many(client, urls["intake"], n, "kafka up")
        chaos.kill("kafka")
        down_at = time.monotonic()
        down, down_status, down_ids = await file_many(client, urls["intake"], n, "kafka down", for_s=outage)
        ready = await client.get(f"{urls['intake']}/readyz")
        t_restart = time.monotonic()
        await asyncio.to_thread(chaos.restart, "kafka")
        kafka_back = time.monotonic() - t_restart
        pending = set(down_ids)
        while pending and time.monotonic() - t_restart < 300:
            for ticket_id in list(pending):
                if (await client.get(f"{urls['dispatch']}/tickets/{ticket_id}", headers=staff)).status_code == 200:
                    pending.discard(ticket_id)
            await asyncio.sleep(0.2)
        drained = time.monotonic() - t_restart
    return {
        "n": n,
        "filed_while_down": len(down),
        "kafka_up": {"p50_ms": pct(up, 0.5), "p95_ms": pct(up, 0.95), "p99_ms": pct(up, 0.99), "max_ms": pct(up, 1.0),
                     "statuses": sorted(set(up_status))},
        "kafka_down": {"p50_ms": pct(down, 0.5), "p95_ms": pct(down, 0.95), "p99_ms": pct(down, 0.99), "max_ms": pct(down, 1.0),
                       "statuses": sorted(set(down_status)), "acknowledged": len(down_ids),
                       "readyz_while_down": ready.status_code, "readyz_problems": ready.json().get("problems")},
        "kafka_outage_s": round(t_restart - down_at, 1),
        "kafka_restart_ready_s": round(kafka_back, 1),
        "outage_filings_in_dispatch_after_restart_s": round(drained, 1),
        "outage_filings_never_seen_in_dispatch": len(pending),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="filings with Kafka up, and at least as many while it is down")
    parser.add_argument("--outage", type=float, default=30.0, help="seconds Kafka stays down while filings go on")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="whistle-degraded-"))
    with ChaosStack(base) as chaos:
        result = asyncio.run(measure(chaos, args.n, args.outage))
    result["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    out = REPO / "bench" / "results" / "degraded-kafka.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{'POST /tickets':<16}{'filings':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses")
    for label, key, count in (("Kafka up", "kafka_up", result["n"]), ("Kafka down", "kafka_down", result["filed_while_down"])):
        row = result[key]
        print(f"{label:<16}{count:>8}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}{row['max_ms']:>9}  {row['statuses']}")
    print(f"Kafka down {result['kafka_outage_s']} s, ready again {result['kafka_restart_ready_s']} s after its restart; every filing of "
          f"the outage in dispatch {result['outage_filings_in_dispatch_after_restart_s']} s after the restart "
          f"({result['outage_filings_never_seen_in_dispatch']} never)")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
