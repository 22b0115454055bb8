"""The authorization matrix as data (tests/authz/matrix/<service>.yaml) and the cases it expands into.

Every API route of every service has one row, keyed "METHOD /path" (the path as the app declares it):

    POST /tickets/{ticket_id}/dispatch:
      path: {ticket_id: t_filed}          # path parameters: keys of the world (tests/authz/world.py) or literals
      body: {department_id: urban}        # JSON body (strings "$key" are world keys); `query:` likewise
      own: [community_staff, supervisor, admin]   # roles that pass in their own scope; every other role: 403
      other: {community_staff: 403, supervisor: 403}  # the same role in another scope of the same kind

`own` is a list (each role expects `ok`) or a map role -> expectation. Expectations:
    ok       2xx, or 409 (authorized; the state had already moved on)
    allowed  anything but 401/403 and 5xx (authorized; the body is refused on its merits, e.g. an admin document)
    listed   2xx and the world's `find` id is in the answer;  hidden: 2xx and it is not
    403/404/401/...  exactly that status
Roles with a scope of their own kind (resident: another resident; grid_worker, volunteer, community_staff: another
community; department_staff: another department; supervisor: another street) must each have an `other` entry;
operator, leader and admin act district-wide and have none. Rows without a bearer token say `auth: none` and give
`anonymous:` (the status without any credentials); every other row answers 401 to no token, an expired token, a
token signed with another key and an `alg=none` token.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import yaml

from libs.auth import ALGORITHM, ROLES, Principal
from libs.settings import get_settings

MATRIX_DIR = Path(__file__).resolve().parent / "matrix"
SERVICES = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify")
SCOPED_ROLES = ("resident", "grid_worker", "volunteer", "community_staff", "department_staff", "supervisor")
DISTRICT_WIDE = ("operator", "leader", "admin")
TOKEN_FAULTS = ("none", "expired", "wrong_signature", "alg_none")
EXPECTATIONS = {"ok", "allowed", "listed", "hidden"}


@dataclass(frozen=True)
class Row:
    service: str
    method: str
    path: str
    auth: str = "bearer"
    anonymous: int | None = None
    own: dict[str, str] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # path
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    files: bool = False
    find: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.service} {self.method} {self.path}"


def _expectations(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, list):
        return {role: "ok" for role in value}
    return {role: str(v) for role, v in value.items()}


def load_matrix() -> list[Row]:
    rows: list[Row] = []
    common = yaml.safe_load((MATRIX_DIR / "common.yaml").read_text(encoding="utf-8"))
    for service in SERVICES:
        data = {**common, **(yaml.safe_load((MATRIX_DIR / f"{service}.yaml").read_text(encoding="utf-8")) or {})}
        for key, spec in data.items():
            method, _, path = key.partition(" ")
            spec = spec or {}
            rows.append(Row(
                service=service, method=method, path=path, auth=spec.get("auth", "bearer"),
                anonymous=spec.get("anonymous"), own=_expectations(spec.get("own")),
                other=_expectations(spec.get("other")), params=spec.get("path") or {}, query=spec.get("query") or {},
                body=spec.get("body"), files=bool(spec.get("files")), find=spec.get("find"),
                headers=spec.get("headers") or {},
            ))
    return rows


def problems(rows: list[Row]) -> list[str]:
    """What is wrong with the matrix itself (unknown roles or expectations, missing `other` entries)."""
    found = []
    for row in rows:
        for column in (row.own, row.other):
            for role, expected in column.items():
                if role not in ROLES:
                    found.append(f"{row.key}: unknown role {role!r}")
                if expected not in EXPECTATIONS and not expected.isdigit():
                    found.append(f"{row.key}: unknown expectation {expected!r}")
        if row.auth == "bearer":
            for role, expected in row.own.items():
                passes = not (expected.isdigit() and int(expected) >= 400)
                if passes and role in SCOPED_ROLES and role not in row.other:
                    found.append(f"{row.key}: {role} passes in its own scope; say what another {role} gets (other:)")
            if set(row.other) - set(row.own):
                found.append(f"{row.key}: other: names roles that are not in own: {sorted(set(row.other) - set(row.own))}")
        elif row.anonymous is None:
            found.append(f"{row.key}: auth {row.auth!r} rows say what an anonymous caller gets (anonymous:)")
    return found


def forged_token(fault: str, principal: Principal) -> str | None:
    """A bearer token that must be refused: none at all, expired, signed with another key, or unsigned (alg=none)."""
    now = int(time.time())
    claims = {**principal.model_dump(exclude_none=True), "iat": now - 7200, "exp": now + 3600, "iss": "whistle"}
    if fault == "none":
        return None
    if fault == "expired":
        return jwt.encode({**claims, "exp": now - 60}, get_settings().jwt_secret, algorithm=ALGORITHM)
    if fault == "wrong_signature":
        return jwt.encode(claims, "another-secret-that-is-not-whistles-own-32b", algorithm=ALGORITHM)
    if fault == "alg_none":
        return jwt.encode(claims, None, algorithm="none")
    raise ValueError(fault)


def fill(value: Any, world: dict[str, Any]) -> Any:
    """`value` with every "$key" string replaced by the world's value (recursively)."""
    if isinstance(value, str) and value.startswith("$"):
        return world[value[1:]]
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    return value


def url(row: Row, world: dict[str, Any]) -> str:
    path = row.path
    for name, value in row.params.items():
        path = path.replace("{" + name + "}", str(world.get(value, value)))
    return path


def judge(expected: str, status: int, text: str, find_id: str | None) -> bool:
    if expected == "ok":
        return 200 <= status < 300 or status == 409
    if expected == "allowed":
        return status not in (401, 403) and status < 500
    if expected in ("listed", "hidden"):
        assert find_id, "listed/hidden rows name the world id to look for (find:)"
        return 200 <= status < 300 and ((f'"{find_id}"' in text or f":{find_id}," in text or f":{find_id}}}" in text) == (expected == "listed"))
    return status == int(expected)
