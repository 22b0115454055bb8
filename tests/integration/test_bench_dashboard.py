"""The dashboard benchmark's smoke run (bench/dashboard.py at 20,000 tickets on the test PostgreSQL): it loads the
lives through the dashboard's handlers (no rebuild, to keep make test short), times every big-screen query and writes
its JSON. Nothing is asserted about time (the machine is shared); only that it loaded and measured, and that what it
read back is the lives it loaded."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]


def test_the_dashboard_benchmark_runs_and_writes_its_json(postgres_url: str, tmp_path: Path) -> None:
    database = make_url(postgres_url).set(database=f"bench_dashboard_{uuid.uuid4().hex[:8]}").render_as_string(hide_password=False)
    out = tmp_path / "dashboard.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "dashboard.py"), "-n", "20000", "--reps", "2", "--skip-rebuild", "--database-url", database, "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["tickets"] == 20000 and len(result["commit"]) == 40
    load = result["load"]
    assert load["events"] > 100_000 and load["applied"] == load["events"] and load["duplicate"] == 0
    assert result["rebuild"] is None  # skipped here: the rebuild's equality is tests/integration/test_dashboard_rebuild.py
    tickets = result["tables"]["dashboard_ticket"]["rows"]
    assert 19_000 < tickets <= 20_000  # about 1% of the lives are wishes, not tickets
    names = {q["query"] for q in result["queries"]}
    assert {"summary month", "rankings department month", "map", "overdue", "hot 7", "repeated", "wishes stats month"} <= names
    assert all(q["p50_ms"] > 0 and q["reps"] == 2 for q in result["queries"])
    assert "Whistle dashboard benchmark" in done.stdout and "p99" in done.stdout
