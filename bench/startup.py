"""What a service's start-up spends its seconds on, and how long a restarted one takes to answer /readyz.

    .venv/bin/python bench/startup.py [--label before] [--services intake,dispatch] [--restarts 3]

Starts its own PostgreSQL (production durability) and Kafka on free ports, then for each service: a first start
(creates its database and migrates), then `--restarts` times SIGKILL and start again, timing spawn -> /healthz 200 ->
/readyz 200. Then profiles one in-process start of intake (import, create_app, lifespan) with cProfile and lists the
calls that took the time. Writes bench/results/startup-<label>.json. Everything listens on 127.0.0.1 and stops at the end.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from deploy.postgres import TempPostgres  # noqa: E402
from deploy.procs import ManagedProcess, free_port, python_executable, stop_processes  # noqa: E402
from deploy.stack import HOST, http_status, start_kafka, wait_kafka  # noqa: E402

SERVICES = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify", "portal")


def time_start(name: str, env: dict[str, str], log: Path, timeout: float = 120) -> tuple[ManagedProcess, dict[str, float]]:
    port = free_port()
    cmd = [python_executable(), "-m", "uvicorn", "--factory", f"services.{name}.app:create_app", "--host", HOST, "--port", str(port)]
    t0 = time.perf_counter()
    proc = ManagedProcess(name, cmd, log, env=env, cwd=REPO).start()
    marks: dict[str, float] = {}
    while time.perf_counter() - t0 < timeout:
        if not proc.alive():
            raise RuntimeError(f"{name} exited:\n{proc.tail(30)}")
        if "healthz" not in marks and http_status(f"http://{HOST}:{port}/healthz", 1) == 200:
            marks["healthz"] = time.perf_counter() - t0
        if "healthz" in marks and http_status(f"http://{HOST}:{port}/readyz", 2) == 200:
            marks["readyz"] = time.perf_counter() - t0
            return proc, marks
        time.sleep(0.05)
    raise TimeoutError(f"{name} not ready within {timeout}s:\n{proc.tail(30)}")


def profile_intake(env: dict[str, str]) -> dict[str, object]:
    """One in-process start of intake under cProfile: the import, create_app and the lifespan (TestClient)."""
    code = r"""
import cProfile, json, pstats, sys, time, io
t0 = time.perf_counter()
prof = cProfile.Profile(); prof.enable()
import services.intake.app as m
t_import = time.perf_counter()
from fastapi.testclient import TestClient
app = m.create_app()
t_create = time.perf_counter()
client = TestClient(app); client.__enter__()
t_life = time.perf_counter()
prof.disable()
client.__exit__(None, None, None)
stats = pstats.Stats(prof)
rows = []
for (file, line, fn), (cc, nc, tt, ct, callers) in stats.stats.items():
    rows.append((ct, f"{file.split('site-packages/')[-1].replace('/work/main/', '')}:{line}({fn})"))
rows.sort(reverse=True)
keep = [r for r in rows if any(k in r[1] for k in ("alembic", "migrate", "check_durability", "start_following", "_retry",
        "producer.py", "consumer.py", "ensure_database", "connect", "command.py", "import_module", "load_module", "lifespan", "start"))]
print(json.dumps({"import_s": t_import - t0, "create_app_s": t_create - t_import, "lifespan_s": t_life - t_create,
                  "top": [{"cumulative_s": round(c, 3), "call": n} for c, n in keep[:25]]}))
"""
    out = subprocess.run([python_executable(), "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    last = [line for line in out.stdout.splitlines() if line.startswith("{\"import_s\"")]
    if not last:
        raise RuntimeError(out.stdout[-3000:] + out.stderr[-3000:])
    return json.loads(last[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="current")
    parser.add_argument("--services", default=",".join(SERVICES))
    parser.add_argument("--restarts", type=int, default=3)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="whistle-startup-"))
    pg = TempPostgres(durable=True)
    kafka = None
    results: dict[str, object] = {"label": args.label, "services": {}}
    try:
        url = pg.start()
        kport, cport = free_port(), free_port()
        kafka = start_kafka(base / "kafka", kport, cport, base / "kafka.log")
        t0 = time.perf_counter()
        wait_kafka(kafka, kport)
        results["kafka_first_start_s"] = round(time.perf_counter() - t0, 2)
        env = {**os.environ, "DATABASE_URL": url, "KAFKA_BOOTSTRAP": f"{HOST}:{kport}", "DATA_DIR": str(base),
               "TOPIC_PREFIX": "", "PYTHONUNBUFFERED": "1", "PORTAL_DEMO_USERS": "none"}
        for name in args.services.split(","):
            proc, first = time_start(name, env, base / f"{name}.log")
            restarts = []
            for _ in range(args.restarts):
                proc.signal(signal.SIGKILL)
                proc.wait(10)
                proc.close_log()
                proc, marks = time_start(name, env, base / f"{name}.log")
                restarts.append(marks)
            stop_processes([proc], grace=10)
            ready = [m["readyz"] for m in restarts]
            row = {"first_start": {k: round(v, 2) for k, v in first.items()},
                   "restart_readyz_s": [round(v, 2) for v in ready],
                   "restart_readyz_median_s": round(statistics.median(ready), 2) if ready else None,
                   "restart_healthz_median_s": round(statistics.median(m["healthz"] for m in restarts), 2) if restarts else None}
            results["services"][name] = row
            print(f"{name:<11} first {first['readyz']:.2f}s  restart readyz median {row['restart_readyz_median_s']}s "
                  f"(healthz {row['restart_healthz_median_s']}s)", flush=True)
        # Kafka restart after SIGKILL
        kafka.signal(signal.SIGKILL)
        kafka.wait(10)
        kafka.close_log()
        t0 = time.perf_counter()
        kafka = start_kafka(base / "kafka", kport, cport, base / "kafka.log")
        wait_kafka(kafka, kport)
        results["kafka_restart_after_kill_s"] = round(time.perf_counter() - t0, 2)
        print(f"kafka restart after SIGKILL: {results['kafka_restart_after_kill_s']}s", flush=True)
        results["intake_profile"] = profile_intake(env)
        prof = results["intake_profile"]
        print(f"intake in-process: import {prof['import_s']:.2f}s, create_app {prof['create_app_s']:.2f}s, "
              f"lifespan {prof['lifespan_s']:.2f}s", flush=True)
        for row in prof["top"][:15]:
            print(f"  {row['cumulative_s']:>7.3f}s  {row['call']}")
    finally:
        if kafka is not None:
            stop_processes([kafka], grace=15)
        pg.stop()
    out = REPO / "bench" / "results" / f"startup-{args.label}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
