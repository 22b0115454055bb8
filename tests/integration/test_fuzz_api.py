"""Every service's OpenAPI fuzzed with schemathesis (tests/fuzz/api.py) on PostgreSQL and Kafka, with a valid token
of the roles the authorization matrix lets in: no server error, and every answer as the document says. `make test`
runs a few examples per operation; `make fuzz` the deep run, whose figures go to bench/results/fuzz-<commit>.json."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.authz.matrix import SERVICES, load_matrix
from tests.fuzz.api import EXAMPLES, ROLES, fuzz_service

ROWS = {}
for _row in load_matrix():
    ROWS.setdefault(_row.service, {})[f"{_row.method} {_row.path}"] = _row
REPORT = os.environ.get("FUZZ_REPORT")  # a path: write the figures there (make fuzz)
FOUND: dict[str, dict] = {}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if REPORT and FOUND:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        total = {key: sum(f[key] for f in FOUND.values()) for key in ("operations", "calls", "server_errors", "nonconforming")}
        document = {"commit": commit, "examples_per_operation_and_role": EXAMPLES, "roles": ROLES, "total": total,
                    "services": FOUND}
        path = Path(REPORT.replace("{commit}", commit))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nfuzzing: {json.dumps(total)} -> {path}")


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_error_and_every_answer_as_documented(service_clients, service):
    figures = fuzz_service(service, service_clients[service], ROWS[service])
    FOUND[service] = figures.as_dict()
    assert figures.calls > 0
    assert figures.server_errors == [], "\n".join(figures.server_errors)
    assert figures.nonconforming == [], "\n".join(figures.nonconforming)
