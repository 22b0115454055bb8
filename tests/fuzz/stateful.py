"""Stateful fuzzing: schemathesis chains a service's operations along the OpenAPI links its document declares
(libs/runtime/links.py: `POST /tickets` -> `GET /tickets/{ticket_id}`, a worklist -> the actions on its first ticket,
accept -> resolve, a wish's claim -> fulfil -> confirm...), each step with the id an earlier answer gave, and checks
every answer as the stateless run does (tests/fuzz/api.py): no server error, status, content type, headers and body
as documented. Only the document's own links are followed (schemathesis's inference is off).

Each step is called with a valid token of a role the authorization matrix lets in (the first one; with FUZZ_ROLES=all
one drawn per step), acting in the scope of the world's things (a `{community_id}` in a path is the callers'
community), so a sequence can cross roles: staff approves the wish a volunteer claims. FUZZ_SEQUENCES scenarios of
at most FUZZ_STEPS calls per service (defaults: 5 x FUZZ_EXAMPLES and 8)."""
from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import schemathesis
import schemathesis.specs.openapi.stateful as stateful_openapi
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.core.transport import Response

from tests.authz.matrix import Row
from tests.authz.world import COMMUNITY, DEPARTMENT, OWN, auth
from tests.fuzz.api import CHECKS, EXAMPLES, ROLES, _brief, _send

SEQUENCES = int(os.environ.get("FUZZ_SEQUENCES", str(5 * EXAMPLES)))
STEPS = int(os.environ.get("FUZZ_STEPS", "8"))
SCOPE = {"community_id": COMMUNITY, "department_id": DEPARTMENT}


@dataclass
class StatefulFigures:
    """What one service's stateful run did and found."""

    service: str
    links: int = 0  # declared in its OpenAPI
    sequences: int = 0
    calls: int = 0
    transitions: int = 0  # steps drawn along a link
    followed: Counter = field(default_factory=Counter)  # link -> steps that used the id it extracted
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    nonconforming: list[str] = field(default_factory=list)
    restarts: int = 0  # Hypothesis runs begun again after the API's state made a choice lead elsewhere
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "links": self.links, "sequences": self.sequences, "calls": self.calls,
                "transitions": self.transitions, "links_followed": len(self.followed),
                "steps_along_links": sum(self.followed.values()),
                "statuses": dict(sorted((str(k), v) for k, v in self.statuses.items())),
                "server_errors": len(self.server_errors), "nonconforming": len(self.nonconforming),
                "restarts": self.restarts, "seconds": round(self.seconds, 1), "most_followed": dict(self.followed.most_common(10)),
                "examples": self.server_errors[:20] + self.nonconforming[:20]}


def let_in(row: Row | None) -> list[str | None]:
    """The roles the matrix lets past authorization for an operation (None: no token, for a public route): those it
    expects to succeed, or else those refused by the use case only (a 404 or 409 of the matrix's made-up ids) — with
    a real id from a link they get through."""
    if row is None or row.auth != "bearer":
        return [None]
    allowed = [role for role, expected in row.own.items() if not expected.isdigit()]
    return allowed or [r for r, expected in row.own.items() if expected not in ("401", "403")] or list(row.own)[:1] or [None]


def _starts_a_sequence(operation: Any, _node: Any, _produced: Any) -> bool:
    return operation.method in ("get", "post") and all(p.name in SCOPE for p in operation.path_parameters)


def count_links(spec: dict[str, Any]) -> int:
    return sum(len(answer.get("links", {})) for item in spec["paths"].values() for operation in item.values()
               if isinstance(operation, dict) for answer in operation.get("responses", {}).values())


def fuzz_statefully(service: str, client: TestClient, rows: dict[str, Row]) -> StatefulFigures:
    figures = StatefulFigures(service)
    started = time.monotonic()
    spec = client.get("/openapi.json").json()
    figures.links = count_links(spec)
    schema = schemathesis.openapi.from_dict(spec)
    schema.config.phases.stateful.inference.algorithms = []  # the document's links only
    # Which operations start a sequence: schemathesis takes a POST or a GET without path parameters, and none that
    # takes an id it sees produced nowhere (`community_id`...) when there is another; here every operation with links
    # whose path parameters are all scopes the callers' own (filled in `before_call`) is a start.
    with mock.patch.object(stateful_openapi, "is_likely_root_transition", _starts_a_sequence):
        workflow = schema.as_state_machine()
    draw = random.Random(f"stateful-{service}")

    class Machine(workflow):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            figures.sequences += 1

        def step(self, input: Any) -> Any:  # noqa: A002 - schemathesis' name
            if input.transition is not None:
                figures.transitions += 1
                if input.is_applied:
                    figures.followed[input.transition.id] += 1
            return super().step(input)

        def before_call(self, case: Any) -> None:
            for where in (case.path_parameters, case.query):
                for name, value in SCOPE.items():  # the scope the callers act in
                    if where and name in where:
                        where[name] = value
            if case.query and draw.random() < 0.5:  # half the lists unfiltered: they hold the ids links follow
                required = {p.name for p in case.operation.query if p.is_required}
                case.query = {name: value for name, value in case.query.items() if name in required}

        def call(self, case: Any, **_kwargs: Any) -> Response:
            method = case.operation.method.upper()
            roles = let_in(rows.get(f"{method} {case.operation.path}"))
            role = roles[0] if ROLES == "first" else draw.choice(roles)
            kwargs = case.as_transport_kwargs(base_url="http://testserver")
            kwargs["headers"] = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "authorization"}
            kwargs["headers"].update(auth(OWN[role]) if role else {})  # never a generated token (401s are tested apart)
            self._sent = (f"{method} {case.operation.path} as {role or 'anonymous'}", kwargs)
            figures.calls += 1
            try:
                response = _send(client, kwargs)
            except Exception as crash:  # noqa: BLE001 - the TestClient re-raises what the app did not handle: a 500
                inner = crash.exceptions[0] if isinstance(crash, BaseExceptionGroup) else crash
                text = " ".join(f"{type(inner).__name__}: {inner}".split())
                figures.server_errors.append(f"{self._sent[0]}: unhandled {text[:400]} <- {_brief(kwargs)}")
                return Response(500, {}, b"", request=_request(kwargs), elapsed=0.0, verify=True)
            return Response.from_any(response)

        def validate_response(self, response: Response, case: Any, additional_checks: Any = None, **_kw: Any) -> None:
            where, kwargs = self._sent
            figures.statuses[response.status_code] += 1
            if response.status_code >= 500:
                if response.content:  # an answered 5xx (an unhandled one was recorded by `call`)
                    figures.server_errors.append(f"{where}: {response.status_code} {response.text[:200]} <- {_brief(kwargs)}")
                return
            try:
                case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"), transport_kwargs=kwargs)
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - a group of check failures
                figures.nonconforming.append(f"{where}: {str(failure)[:400]} <- {_brief(kwargs)}")

    # The API's state changes under Hypothesis (a ticket dispatched is no longer in the worklist): when a choice it
    # made before now leads elsewhere, it raises Flaky. Failures are recorded, never raised, so a Flaky is only that:
    # the run goes on with the sequences left, in a new Hypothesis run (as schemathesis's own runner does).
    while figures.sequences < SEQUENCES and figures.restarts <= SEQUENCES:
        try:
            Machine.run(settings=settings(
                max_examples=SEQUENCES - figures.sequences, stateful_step_count=STEPS, deadline=None, database=None,
                phases=[Phase.generate], suppress_health_check=list(HealthCheck),
            ))
            break
        except Flaky:
            figures.restarts += 1
    figures.seconds = time.monotonic() - started
    return figures


def _request(kwargs: dict[str, Any]) -> Any:
    import requests  # noqa: PLC0415 - schemathesis' Response keeps the request it answered

    return requests.Request(kwargs["method"], kwargs["url"], headers=kwargs.get("headers")).prepare()
