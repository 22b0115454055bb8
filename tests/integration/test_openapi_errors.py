"""Errors that only a running use case answers (404 of an unknown id, 409 of a state machine or a version, 422 of a
value the domain rejects) match the schema each service's OpenAPI documents for them (real PostgreSQL and Kafka).
The answers given before a use case runs (401, 403, FastAPI's 422) are checked in tests/unit/test_openapi_docs.py."""
from __future__ import annotations

import uuid
from typing import Any

import jsonschema
import pytest

from services.dispatch.api import POLICY_EXAMPLE
from tests.integration.conftest import bearer, eventually

RESIDENT = bearer("resident", "r-openapi", community_id="xinran")
OTHER_RESIDENT = bearer("resident", "r-openapi-other", community_id="xinran")
ADMIN = bearer("admin", "a-openapi")
GOOD = {"title": "楼道灯坏了", "description": "5号楼2单元楼道灯不亮", "category": "road"}


def answers_as_documented(client, method: str, path: str, template: str, status: int, **kw: Any) -> dict[str, Any]:
    """`method path` answers `status` with a body valid against what the OpenAPI of `client`'s app documents for
    `status` at `template`; the body."""
    response = client.request(method, path, **kw)
    assert response.status_code == status, response.text
    spec = client.get("/openapi.json").json()
    documented = spec["paths"][template][method.lower()]["responses"].get(str(status))
    assert documented is not None, f"{method} {template} answers {status}, undocumented"
    schema = documented["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**schema, "components": spec["components"]})
    return response.json()


@pytest.mark.parametrize(
    "service, method, path, template, headers",
    [
        ("intake", "GET", "/tickets/t-nowhere", "/tickets/{ticket_id}", RESIDENT),
        ("dispatch", "GET", "/tickets/t-nowhere", "/tickets/{ticket_id}", bearer("community_staff", "c-o", community_id="xinran")),
        ("dispatch", "POST", "/extensions/e-nowhere/refuse", "/extensions/{request_event_id}/refuse", bearer("supervisor", "s-o")),
        ("department", "GET", "/tickets/t-nowhere", "/tickets/{ticket_id}", bearer("department_staff", "d-o", department_id="d-road")),
        ("feedback", "GET", "/tickets/t-nowhere", "/tickets/{ticket_id}", RESIDENT),
    ],
)
def test_an_unknown_id_is_a_documented_404(service_clients, service, method, path, template, headers):
    body = {"note": "不同意延期"} if path.endswith("/refuse") else None
    detail = answers_as_documented(service_clients[service], method, path, template, 404, headers=headers, json=body)
    assert "nowhere" in detail["detail"]


def test_a_version_that_is_not_next_is_a_documented_409(service_clients):
    detail = answers_as_documented(
        service_clients["dispatch"], "PUT", "/admin/sla-policy", "/admin/sla-policy", 409,
        headers=ADMIN, json={**POLICY_EXAMPLE, "version": 99},
    )
    assert detail["detail"].startswith("version:")


def test_a_value_the_domain_rejects_is_a_documented_422(service_clients):
    detail = answers_as_documented(
        service_clients["intake"], "POST", "/tickets", "/tickets", 422,
        headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex}, json={**GOOD, "category": "ufo"},
    )
    assert detail["detail"].startswith("category:")


def test_rating_an_unresolved_ticket_is_a_documented_409_and_another_residents_is_a_404(service_clients):
    filed = service_clients["intake"].post("/tickets", json=GOOD, headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex})
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    feedback = service_clients["feedback"]
    eventually(lambda: feedback.get(f"/tickets/{ticket_id}", headers=RESIDENT).status_code == 200)
    rating = {"satisfaction": "satisfied", "solved": True}
    path, template = f"/tickets/{ticket_id}/rating", "/tickets/{ticket_id}/rating"
    refused = answers_as_documented(feedback, "POST", path, template, 409, headers=RESIDENT, json=rating)
    assert "resolved" in refused["detail"]
    answers_as_documented(feedback, "POST", path, template, 404, headers=OTHER_RESIDENT, json=rating)
