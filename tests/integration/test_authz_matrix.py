"""The authorization matrix (tests/authz/matrix/*.yaml) on the real services (PostgreSQL, Kafka): every route, called
by every role in the scope of the world's things (tests/authz/world.py) and by the same role in another scope (another
resident, another community, another department, another street), answers what its row says. Public routes are
called without credentials. The other-scope cells run first, while every thing is still in the state the world left
it in, so a refusal is the scope check's and not the state machine's; then the own-scope reads, then the writes.
The token cells (no token, expired, forged, alg=none) and the wrong-role cells are in tests/unit/test_authz_matrix.py."""
from __future__ import annotations

import io
import uuid

import pytest

from tests.authz.matrix import Row, fill, judge, load_matrix, url
from tests.authz.world import OTHER, OWN, auth, build_world
from tests.photo_samples import jpeg_with_exif

ROWS = load_matrix()
READS = {"GET"}


@pytest.fixture(scope="module")
def world(service_clients):
    return build_world(service_clients)


def call(clients, world, row: Row, headers: dict[str, str]):  # noqa: ANN001, ANN201
    files = {"files": ("p.jpg", io.BytesIO(jpeg_with_exif()), "image/jpeg")} if row.files else None
    body = fill(row.body, world)
    return clients[row.service].request(
        row.method, url(row, world), headers={**row.headers, **headers}, params=fill(row.query, world) or None,
        json=body if body is not None else None, files=files,
    )


def cells(clients, world, row: Row, column: dict[str, str], people) -> dict[str, tuple[str, int, str]]:  # noqa: ANN001
    """The cells of `column` that do not answer as the row says: role -> (expected, status, text)."""
    wrong = {}
    find_id = str(world[row.find]) if row.find else None
    for role, expected in column.items():
        answer = call(clients, world, row, auth(people[role]))
        if not judge(expected, answer.status_code, answer.text, find_id):
            wrong[role] = (expected, answer.status_code, answer.text[:200])
    return wrong


def verdict(wrong: dict[str, tuple[str, int, str]]) -> None:
    if wrong:
        pytest.fail("\n".join(f"{role}: expected {e}, got {status} {text}" for role, (e, status, text) in wrong.items()))


def _ids(rows: list[Row]) -> list[str]:
    return [r.key for r in rows]


PUBLIC = [r for r in ROWS if r.auth != "bearer"]
BEARER = [r for r in ROWS if r.auth == "bearer"]
OTHER_ROWS = [r for r in BEARER if r.other]
OWN_READS = [r for r in BEARER if r.method in READS]
OWN_WRITES = [r for r in BEARER if r.method not in READS]


@pytest.mark.parametrize("row", PUBLIC, ids=_ids(PUBLIC))
def test_public_routes_answer_without_credentials(service_clients, world, row):
    answer = call(service_clients, world, row, {})
    assert answer.status_code == row.anonymous, answer.text[:300]


@pytest.mark.parametrize("row", OTHER_ROWS, ids=_ids(OTHER_ROWS))
def test_the_same_role_in_another_scope_gets_what_the_row_says(service_clients, world, row):
    verdict(cells(service_clients, world, row, row.other, OTHER))


@pytest.mark.parametrize("row", OWN_READS, ids=_ids(OWN_READS))
def test_reads_in_the_own_scope(service_clients, world, row):
    verdict(cells(service_clients, world, row, row.own, OWN))


@pytest.mark.parametrize("row", OWN_WRITES, ids=_ids(OWN_WRITES))
def test_writes_in_the_own_scope(service_clients, world, row):
    verdict(cells(service_clients, world, row, row.own, OWN))


def test_an_idempotency_key_is_the_filers_own(service_clients):
    """Two residents sending the same Idempotency-Key file two tickets; the second never gets the first one's."""
    intake = service_clients["intake"]
    key = f"authz-shared-{uuid.uuid4().hex[:6]}"
    body = {"title": "楼道灯坏了", "description": "3号楼2单元楼道灯不亮", "category": "road", "community_id": "xinran"}
    first = intake.post("/tickets", json=body, headers={**auth(OWN["resident"]), "Idempotency-Key": key})
    second = intake.post("/tickets", json=body, headers={**auth(OTHER["resident"]), "Idempotency-Key": key})
    again = intake.post("/tickets", json=body, headers={**auth(OWN["resident"]), "Idempotency-Key": key})
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    assert second.json()["id"] != first.json()["id"]
    assert again.json()["id"] == first.json()["id"]
    assert intake.get(f"/tickets/{first.json()['id']}", headers=auth(OTHER["resident"])).status_code == 404
