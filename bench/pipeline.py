"""Drive N tickets through their whole life over HTTP and report throughput and visibility latency.

    .venv/bin/python bench/pipeline.py                 # starts its own stack (SQLite, as `make run`)
    .venv/bin/python bench/pipeline.py --postgres      # ... on a throwaway PostgreSQL
    .venv/bin/python bench/pipeline.py --urls-from-defaults   # against an already running `make run`

Prints a table and writes bench/results/pipeline-<backend>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from libs.auth import Principal, mint_token  # noqa: E402

COMMUNITIES = ["xinran", "shiliuqiao", "jiamenkou"]
POLL_SECONDS = 0.1  # visibility is measured to this resolution; faster polling loads the 2-core machine more than the system
ROUTE = {"road": "urban", "garbage": "urban", "water_supply": "water", "property": "housing", "noise": "police"}


def token(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal)}"}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def wait_visible(client: httpx.AsyncClient, url: str, headers: dict, accept=lambda body: True, timeout: float = 120) -> float:
    """Poll until GET url answers 200 and `accept(body)`; return when it first did."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        response = await client.get(url, headers=headers)
        if response.status_code == 200 and accept(response.json()):
            return time.perf_counter()
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError(url)


async def one_ticket(client: httpx.AsyncClient, urls: dict, n: int, results: dict) -> None:
    community = COMMUNITIES[n % len(COMMUNITIES)]
    category = list(ROUTE)[n % len(ROUTE)]
    department = ROUTE[category]
    resident = token(Principal(sub=f"bench-r{n % 500}", role="resident", community_id=community))
    staff = token(Principal(sub=f"bench-s-{community}", role="community_staff", community_id=community))
    dept = token(Principal(sub=f"bench-d-{department}", role="department_staff", department_id=department))

    t0 = time.perf_counter()
    response = await client.post(
        f"{urls['intake']}/tickets",
        headers={**resident, "Idempotency-Key": uuid.uuid4().hex},
        json={"title": f"压测诉求 {n}", "description": "bench pipeline ticket", "category": category, "community_id": community},
    )
    response.raise_for_status()
    ticket_id = response.json()["id"]
    t_queue = await wait_visible(client, f"{urls['dispatch']}/tickets/{ticket_id}", staff)
    t_dispatch = time.perf_counter()
    (await client.post(f"{urls['dispatch']}/tickets/{ticket_id}/dispatch", headers=staff, json={"department_id": department})).raise_for_status()
    t_dept = await wait_visible(client, f"{urls['department']}/tickets/{ticket_id}", dept)
    (await client.post(f"{urls['department']}/tickets/{ticket_id}/accept", headers=dept)).raise_for_status()
    (await client.post(f"{urls['department']}/tickets/{ticket_id}/resolve", headers=dept, json={"note": "已处理"})).raise_for_status()
    await wait_visible(
        client, f"{urls['feedback']}/tickets/{ticket_id}", resident, accept=lambda body: body["status"] == "awaiting_rating"
    )
    rated = await client.post(
        f"{urls['feedback']}/tickets/{ticket_id}/rating", headers=resident, json={"satisfaction": "satisfied", "solved": True}
    )
    rated.raise_for_status()
    t_end = time.perf_counter()
    results["filing_to_community_queue"].append(t_queue - t0)
    results["dispatch_to_department_list"].append(t_dept - t_dispatch)
    results["filing_to_department_list"].append(t_dept - t0)
    results["whole_life"].append(t_end - t0)


async def drive(urls: dict, total: int, concurrency: int) -> dict:
    results: dict[str, list[float]] = {
        k: [] for k in ("filing_to_community_queue", "dispatch_to_department_list", "filing_to_department_list", "whole_life")
    }
    errors: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await one_ticket(client, urls, n, results)
            except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
                errors.append(f"{type(exc).__name__}: {exc}")

    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"results": results, "errors": errors, "elapsed": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--tickets", type=int, default=300)
    parser.add_argument("-c", "--concurrency", type=int, default=20)
    parser.add_argument("--postgres", action="store_true", help="run the services on a throwaway PostgreSQL")
    parser.add_argument("--urls-from-defaults", action="store_true", help="use an already running system on the default ports")
    args = parser.parse_args()

    from bench.stack import bench_stack

    if args.urls_from_defaults:
        from deploy.stack import Stack

        backend = "running"
        outcome = asyncio.run(drive(Stack(tempfile.mkdtemp()).urls, args.tickets, args.concurrency))
    else:
        backend = "postgres" if args.postgres else "sqlite"
        with bench_stack(postgres=args.postgres, prefix="whistle-bench-") as urls:
            outcome = asyncio.run(drive(urls, args.tickets, args.concurrency))

    res, elapsed = outcome["results"], outcome["elapsed"]
    done = len(res["whole_life"])
    rows = []
    print(f"\nWhistle pipeline benchmark — {done}/{args.tickets} tickets, concurrency {args.concurrency}, backend {backend}")
    print(f"{'measure':34} {'p50 (ms)':>10} {'p99 (ms)':>10} {'max (ms)':>10}")
    for name, values in res.items():
        row = {"measure": name, "p50_ms": pct(values, 0.5) * 1000, "p99_ms": pct(values, 0.99) * 1000, "max_ms": (max(values) if values else float("nan")) * 1000}
        rows.append(row)
        print(f"{name:34} {row['p50_ms']:10.1f} {row['p99_ms']:10.1f} {row['max_ms']:10.1f}")
    throughput = done / elapsed if elapsed else 0.0
    print(f"{'sustained whole-life tickets/s':34} {throughput:10.2f}")
    print(f"errors: {len(outcome['errors'])}" + (f" (first: {outcome['errors'][0]})" if outcome["errors"] else ""))
    out = REPO / "bench" / "results" / f"pipeline-{backend}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "pipeline",
                "backend": backend,
                "tickets": args.tickets,
                "completed": done,
                "concurrency": args.concurrency,
                "elapsed_s": round(elapsed, 2),
                "tickets_per_s": round(throughput, 2),
                "latency": rows,
                "mean_whole_life_ms": statistics.mean(res["whole_life"]) * 1000 if done else None,
                "errors": outcome["errors"][:20],
                "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            indent=2,
        )
    )
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
