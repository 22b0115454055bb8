"""Fuzzing a service's OpenAPI with schemathesis, in-process: every operation of the document, called through the
service's own TestClient (its lifespan running on real PostgreSQL and Kafka) with a valid token of each role the
authorization matrix (tests/authz/matrix) lets in, and every answer checked: no server error, a status code, content
type, headers and body the document declares.

FUZZ_EXAMPLES (examples per operation and role; `make test` runs 2) and FUZZ_ROLES (`first`: the first role the
matrix lets in; `all`: every one of them) make the run deep; `make fuzz` sets both and writes the figures to
bench/results/fuzz-<commit>.json."""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.authz.matrix import Row
from tests.authz.world import OWN, auth

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
ROLES = os.environ.get("FUZZ_ROLES", "first")
SKIP = {("GET", "/metrics")}  # Prometheus text, no schema to hold it to


@dataclass
class Figures:
    """What one service's fuzzing did and found."""

    service: str
    calls: int = 0
    operations: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    nonconforming: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "operations": self.operations, "calls": self.calls,
                "statuses": dict(sorted((str(k), v) for k, v in self.statuses.items())),
                "server_errors": len(self.server_errors), "nonconforming": len(self.nonconforming),
                "seconds": round(self.seconds, 1), "examples": self.server_errors[:20] + self.nonconforming[:20]}


def roles_for(row: Row | None) -> list[str | None]:
    """The roles an operation is fuzzed as (None: no token, for a public route)."""
    if row is None or row.auth != "bearer":
        return [None]
    allowed = [r for r, expected in row.own.items() if not expected.isdigit()]
    return allowed[:1] if ROLES == "first" else allowed


def fuzz_service(service: str, client: TestClient, rows: dict[str, Row]) -> Figures:
    figures = Figures(service)
    started = time.monotonic()
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.method.upper()
        if (method, operation.path) in SKIP:
            continue
        figures.operations += 1
        for role in roles_for(rows.get(f"{method} {operation.path}")):
            _fuzz_operation(client, operation, role, figures)
    figures.seconds = time.monotonic() - started
    return figures


def _fuzz_operation(client: TestClient, operation: Any, role: str | None, figures: Figures) -> None:
    headers = auth(OWN[role]) if role else {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        where = f"{operation.method.upper()} {operation.path} as {role or 'anonymous'}"
        figures.calls += 1
        try:
            response = _send(client, kwargs)
        except Exception as crash:  # noqa: BLE001 - the TestClient re-raises what the app did not handle: a 500
            figures.statuses[500] += 1
            inner = crash.exceptions[0] if isinstance(crash, BaseExceptionGroup) else crash
            text = " ".join(f"{type(inner).__name__}: {inner}".split())
            figures.server_errors.append(f"{where}: unhandled {text[:400]} <- {_brief(kwargs)}")
            return
        figures.statuses[response.status_code] += 1
        if response.status_code >= 500:
            figures.server_errors.append(f"{where}: {response.status_code} {response.text[:200]} <- {_brief(kwargs)}")
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"), transport_kwargs=kwargs)
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - a group of check failures
            figures.nonconforming.append(f"{where}: {str(failure)[:400]} <- {_brief(kwargs)}")

    run()


def _send(client: TestClient, kwargs: dict[str, Any]) -> Any:
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    if kwargs.get("files"):  # requests' form of multipart parts; httpx wants bytes or str contents
        body["files"] = [(name, _part(part)) for name, part in _items(kwargs["files"])]
    if "data" in kwargs:
        data = kwargs["data"]
        body["content" if isinstance(data, (bytes, str)) else "data"] = data
    return client.request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params") or None, headers=kwargs.get("headers"),
        cookies=kwargs.get("cookies") or None, **body,
    )


def _items(files: Any) -> list[tuple[str, Any]]:
    return list(files.items()) if isinstance(files, dict) else list(files)


def _part(part: Any) -> Any:
    if isinstance(part, tuple):
        name, content, *rest = part
        return (name, content if isinstance(content, (bytes, str)) else str(content).encode(), *rest)
    return part if isinstance(part, (bytes, str)) else str(part).encode()


def _brief(kwargs: dict[str, Any]) -> str:
    shown = {k: kwargs[k] for k in ("url", "params", "json", "data") if kwargs.get(k) not in (None, {}, b"")}
    return repr(shown)[:300]
