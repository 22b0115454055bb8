"""Every service's OpenAPI fuzzed with schemathesis (tests/fuzz/api.py) on PostgreSQL and Kafka, with a valid token
of the roles the authorization matrix lets in: no server error, and every answer as the document says; then
statefully (tests/fuzz/stateful.py): sequences of calls along the document's links, each with the ids earlier answers
gave, from a few tickets and a wish filed in the callers' scope. `make test` runs a few examples per operation and a
few sequences per service; `make fuzz` the deep run, whose figures go to bench/results/fuzz-<commit>.json."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.authz.matrix import SERVICES, load_matrix
from tests.authz.world import OWN, Builder, auth
from tests.fuzz.api import EXAMPLES, ROLES, fuzz_service
from tests.fuzz.stateful import SEQUENCES, STEPS, fuzz_statefully

ROWS = {}
for _row in load_matrix():
    ROWS.setdefault(_row.service, {})[f"{_row.method} {_row.path}"] = _row
REPORT = os.environ.get("FUZZ_REPORT")  # a path: write the figures there (make fuzz)
FOUND: dict[str, dict] = {}
STATEFUL: dict[str, dict] = {}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if REPORT and (FOUND or STATEFUL):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        total = {key: sum(f[key] for f in FOUND.values()) for key in ("operations", "calls", "server_errors", "nonconforming")}
        document = {"commit": commit, "examples_per_operation_and_role": EXAMPLES, "roles": ROLES, "total": total,
                    "services": FOUND}
        if STATEFUL:
            keys = ("links", "sequences", "calls", "transitions", "links_followed", "steps_along_links", "server_errors",
                    "nonconforming")
            document["stateful"] = {"sequences_per_service": SEQUENCES, "steps_per_sequence": STEPS,
                                    "total": {key: sum(f[key] for f in STATEFUL.values()) for key in keys},
                                    "services": STATEFUL}
        path = Path(REPORT.replace("{commit}", commit))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nfuzzing: {json.dumps(total)}; stateful: {json.dumps(document.get('stateful', {}).get('total'))} -> {path}")


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_error_and_every_answer_as_documented(service_clients, service):
    figures = fuzz_service(service, service_clients[service], ROWS[service])
    FOUND[service] = figures.as_dict()
    assert figures.calls > 0
    assert figures.server_errors == [], "\n".join(figures.server_errors)
    assert figures.nonconforming == [], "\n".join(figures.nonconforming)


@pytest.fixture(scope="module")
def seeded(service_clients):
    """Things in the callers' scope for sequences to start from: tickets filed (three waiting for the community, two
    dispatched to the department, one resolved and awaiting the resident's rating) and a wish approved for a
    confirmed volunteer."""
    b = Builder(service_clients)
    tickets = [b.file() for _ in range(6)]
    wish = b.file(kind="wish", category="other", title="想请人陪我去医院复查", description="腿脚不便，想请人陪同")
    b.dispatched(tickets[3])
    b.dispatched(tickets[4])
    b.accepted(tickets[5])
    resolved = service_clients["department"].post(f"/tickets/{tickets[5]}/resolve", json={"note": "已修好"}, headers=b.dept)
    assert resolved.status_code == 200, resolved.text
    b.seen("feedback", "/tickets/awaiting-rating", auth(OWN["resident"]), lambda rows: tickets[5] in str(rows))
    wishes, volunteer = service_clients["wishes"], OWN["volunteer"]
    profile = {"community_id": volunteer.community_id, "name": "王志强", "party_member": True, "skills": ["陪诊"]}
    assert wishes.put("/volunteers/me", json=profile, headers=auth(volunteer)).status_code == 200
    assert wishes.post(f"/volunteers/{volunteer.sub}/confirm", headers=b.staff).status_code == 200
    b.seen("wishes", f"/wishes/{wish}", b.staff)
    assert wishes.post(f"/wishes/{wish}/approve", json={"estimated_hours": 2}, headers=b.staff).status_code == 200
    return {"tickets": tickets, "wish": wish}


@pytest.mark.parametrize("service", SERVICES)
def test_sequences_along_the_links_answer_as_documented(service_clients, seeded, service):
    figures = fuzz_statefully(service, service_clients[service], ROWS[service])
    STATEFUL[service] = figures.as_dict()
    assert figures.links > 0 and figures.sequences > 0 and figures.calls > 0
    assert figures.server_errors == [], "\n".join(figures.server_errors)
    assert figures.nonconforming == [], "\n".join(figures.nonconforming)
