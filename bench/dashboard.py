"""Dashboard read models at scale, on PostgreSQL: load the events of N ticket lives (bench/dashboard_lives.py: 12
months, 2 streets, 6 communities, 10 departments) through the dashboard's own handlers, batched as the rebuild applies
them (services/dashboard/batch.py, with the inbox), then time a rebuild (empty the read models, apply again), then
p50/p99 of every big-screen query through the dashboard's HTTP app (in process, a leader's and a staff token).

    .venv/bin/python bench/dashboard.py -n 1000000           # a throwaway PostgreSQL; ~8 events per ticket
    .venv/bin/python bench/dashboard.py -n 20000 --reps 5 --out /tmp/d.json   # the smoke run inside `make test`
    .venv/bin/python bench/dashboard.py --database-url postgresql+psycopg://...  # an existing, empty database

Prints a table and writes bench/results/dashboard-<N>.json (or --out) with the commit it measured."""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.dashboard_lives import Lives  # noqa: E402
from libs.auth import Principal, mint_token  # noqa: E402

TARGET_P99_MS = 100.0


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def load(engine, lives: Lives, batch: int, progress: bool) -> dict:  # noqa: ANN001
    """Apply every event of `lives` in batches; the time spent making events is measured apart from applying them."""
    from services.dashboard.batch import apply_batch
    from services.dashboard.consumers import HANDLERS

    counts = {"applied": 0, "duplicate": 0, "ignored": 0}
    making = applying = 0.0
    started = time.perf_counter()
    stream, pending, done = lives.events(), [], False
    while not done:
        t0 = time.perf_counter()
        pending.clear()
        for event in stream:
            pending.append(event)
            if len(pending) >= batch:
                break
        else:
            done = True
        t1 = time.perf_counter()
        if pending:
            for key, value in apply_batch(engine, "dashboard", pending, HANDLERS).items():
                counts[key] += value
        t2 = time.perf_counter()
        making, applying = making + (t1 - t0), applying + (t2 - t1)
        if progress and counts["applied"] and counts["applied"] % (batch * 100) < batch:
            rate = counts["applied"] / (t2 - started)
            print(f"  {counts['applied']:>10,} events  {rate:8,.0f} events/s", flush=True)
    elapsed = time.perf_counter() - started
    return {**counts, "events": lives.count, "elapsed_s": round(elapsed, 1), "making_events_s": round(making, 1),
            "applying_s": round(applying, 1), "events_per_s": round(lives.count / elapsed), "applied_per_s": round(lives.count / applying)}


def table_sizes(engine) -> dict:  # noqa: ANN001
    from sqlalchemy import text

    names = ("dashboard_ticket", "dashboard_daily", "dashboard_counter", "dashboard_summons_department", "dashboard_wish",
             "dashboard_wish_volunteer_day", "inbox")
    out = {}
    with engine.connect() as conn:
        for name in names:
            rows = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar()  # noqa: S608 - fixed names
            size = conn.execute(text("SELECT pg_total_relation_size(:n)"), {"n": name}).scalar()
            out[name] = {"rows": int(rows), "mb": round(size / 2**20, 1)}
    return out


def queries(lives: Lives) -> list[tuple[str, Principal, str, dict]]:
    """Every query the big screen (and its staff view) asks, as (name, who, path, params)."""
    from services.dashboard.periods import beijing_day

    leader = Principal(sub="leader1", role="leader")
    staff = Principal(sub="xinran_staff", role="community_staff", community_id="xinran")
    dept = Principal(sub="urban_staff", role="department_staff", department_id="urban")
    last = beijing_day(lives.end - timedelta(days=1))
    month = {"period": "month", "date": last.isoformat()}
    year = {"period": "year", "date": last.isoformat()}
    out = [("summary month", leader, "/summary", month), ("summary year", leader, "/summary", year),
           ("trend month", leader, "/trend", month), ("trend year", leader, "/trend", year)]
    out += [(f"rankings {by} month", leader, "/rankings", {**month, "by": by})
            for by in ("community", "department", "grid", "category", "channel", "kind")]
    out += [("rankings department year", leader, "/rankings", {**year, "by": "department"}),
            ("map", leader, "/map", {}), ("escalated", leader, "/escalated", {"limit": 50}), ("overdue", leader, "/overdue", {"limit": 50}),
            ("tickets community month", leader, "/tickets", {"scope": "community:xinran", **month, "limit": 200}),
            ("tickets escalated", leader, "/tickets", {"flag": "escalated", "limit": 200}),
            ("hot 7", leader, "/hot", {"window": 7}), ("hot 30", leader, "/hot", {"window": 30}), ("repeated", leader, "/repeated", {}),
            ("topics", leader, "/topics", {}), ("summons stats", leader, "/summons/stats", {}),
            ("wishes stats month", leader, "/wishes/stats", month), ("definitions", leader, "/definitions", {}),
            ("staff summary month", staff, "/summary", month), ("staff map", staff, "/map", {}),
            ("staff overdue", staff, "/overdue", {"limit": 50}), ("department summary month", dept, "/summary", month),
            ("department rankings month", dept, "/rankings", {**month, "by": "department"})]
    return out


def measure(engine, lives: Lives, reps: int, only: Callable[[str], bool] = lambda name: True, *, freeze: bool = True) -> list[dict]:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from services.dashboard.app import create_app

    app = create_app()
    app.state.runtime.engine = engine  # in process, no lifespan: no Kafka, only the database
    client = TestClient(app)
    if freeze:  # as every service does once started (libs/runtime): the collector's full passes skip the startup objects
        gc.collect()
        gc.freeze()
    rows = []
    for name, who, path, params in queries(lives):
        if not only(name):
            continue
        headers = {"Authorization": f"Bearer {mint_token(who)}"}
        for _ in range(2):  # warm the caches and the plan
            answer = client.get(path, params=params, headers=headers)
            assert answer.status_code == 200, f"{name}: {answer.status_code} {answer.text[:200]}"
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            client.get(path, params=params, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
        rows.append({"query": name, "path": path, "params": params, "role": who.role, "p50_ms": round(pct(times, 0.5), 1),
                     "p99_ms": round(pct(times, 0.99), 1), "max_ms": round(max(times), 1), "reps": reps,
                     "under_target": pct(times, 0.99) < TARGET_P99_MS})
    return rows


def _loaded_until(engine):  # noqa: ANN001, ANN202 - the stream's end as the loaded data says (the latest filing)
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT max(filed_at) FROM dashboard_ticket")).scalar() + timedelta(hours=1)


def run(args: argparse.Namespace, database_url: str) -> dict:
    from libs.db import make_engine, migrate
    from services.dashboard.rebuild import MIGRATIONS, clear_read_models

    migrate(database_url, MIGRATIONS)
    engine = make_engine(database_url)
    already = args.queries_only or args.rebuild_only
    lives = Lives(args.tickets, seed=args.seed, end=_loaded_until(engine) if already else None)
    loaded = rebuilt = None
    if not already:
        print(f"loading {args.tickets:,} ticket lives (batches of {args.batch}) ...", flush=True)
        loaded = load(engine, lives, args.batch, args.progress)
        print(f"  {loaded['events']:,} events in {loaded['elapsed_s']} s: {loaded['events_per_s']:,} events/s", flush=True)
    if (not args.skip_rebuild and not already) or args.rebuild_only:
        print("rebuild: emptying the read models and applying every event again ...", flush=True)
        t0 = time.perf_counter()
        clear_read_models(engine)
        cleared = time.perf_counter() - t0
        rebuilt = {**load(engine, Lives(args.tickets, seed=args.seed, end=lives.end), args.batch, args.progress),
                   "clear_s": round(cleared, 1)}
        rebuilt["total_s"] = round(cleared + rebuilt["elapsed_s"], 1)
        print(f"  rebuilt in {rebuilt['total_s']} s", flush=True)
    with engine.connect() as conn:
        from sqlalchemy import text

        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    sizes = table_sizes(engine)
    print(f"measuring {len(queries(lives))} queries x {args.reps} ...", flush=True)
    rows = measure(engine, lives, args.reps, freeze=not args.no_gc_freeze) if args.reps else []
    engine.dispose()
    return {"load": loaded, "rebuild": rebuilt, "tables": sizes, "queries": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--tickets", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=20000, help="events per transaction")
    parser.add_argument("--reps", type=int, default=50, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--skip-rebuild", action="store_true")
    parser.add_argument("--queries-only", action="store_true", help="only time the queries of an already loaded --database-url")
    parser.add_argument("--rebuild-only", action="store_true", help="only the rebuild of an already loaded --database-url")
    parser.add_argument("--no-gc-freeze", action="store_true", help="measure without gc.freeze() after startup (the collector's "
                        "full passes then add ~100 ms to about one answer in a hundred)")
    parser.add_argument("--progress", action="store_true", help="print the load rate as it goes")
    parser.add_argument("--database-url", help="an existing empty database (default: a throwaway PostgreSQL)")
    parser.add_argument("--out", help="where to write the JSON (default bench/results/dashboard-<N>.json)")
    args = parser.parse_args()

    pg = None
    try:
        if args.database_url:
            url = args.database_url
        else:
            from deploy.postgres import TempPostgres

            pg = TempPostgres()
            url = pg.start()
        started = time.perf_counter()
        result = run(args, url)
    finally:
        if pg:
            pg.stop()
    print(f"\nWhistle dashboard benchmark — {args.tickets:,} tickets, PostgreSQL, commit {commit()[:10]}")
    load_ = result["load"]
    if load_:
        print(f"load: {load_['events']:,} events in {load_['elapsed_s']} s = {load_['events_per_s']:,} events/s "
              f"(making events {load_['making_events_s']} s, applying {load_['applying_s']} s = {load_['applied_per_s']:,} events/s)")
    if result["rebuild"]:
        print(f"rebuild: {result['rebuild']['total_s']} s (emptying {result['rebuild']['clear_s']} s)")
    print(f"{'query':30} {'p50 (ms)':>10} {'p99 (ms)':>10} {'max (ms)':>10}  p99 < {TARGET_P99_MS:.0f} ms")
    for row in result["queries"]:
        print(f"{row['query']:30} {row['p50_ms']:10.1f} {row['p99_ms']:10.1f} {row['max_ms']:10.1f}  {'yes' if row['under_target'] else 'NO'}")
    out = Path(args.out) if args.out else REPO / "bench" / "results" / f"dashboard-{args.tickets}.json"
    out.write_text(json.dumps({
        "benchmark": "dashboard", "backend": "postgres", "tickets": args.tickets, "batch": args.batch, "reps": args.reps,
        "seed": args.seed, "gc_freeze": not args.no_gc_freeze, **result, "all_under_target": bool(result["queries"]) and all(r["under_target"] for r in result["queries"]),
        "target_p99_ms": TARGET_P99_MS, "wall_s": round(time.perf_counter() - started, 1), "commit": commit(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }, indent=2, ensure_ascii=False))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
