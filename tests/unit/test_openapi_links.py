"""The OpenAPI links of every service (libs/runtime/links.py): each names an operation of the same document, fills
only that operation's path parameters, and reads its value from a field the source's answer documents (or from the
source's own path); schemathesis builds its state machine from them; and the links the stateful fuzzing relies on
(filing -> the ticket, worklist -> its actions, one action -> the next) are there."""
from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
import schemathesis

SERVICES = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify")
EXPRESSION = re.compile(r"^\$(?:response\.body#(?P<pointer>(?:/[\w-]+)+)|request\.path\.(?P<param>\w+))$")


@pytest.fixture(scope="module", params=SERVICES)
def spec(request) -> dict[str, Any]:
    return importlib.import_module(f"services.{request.param}.app").create_app().openapi()


def links_of(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for code, answer in operation.get("responses", {}).items():
                for name, link in answer.get("links", {}).items():
                    yield path, method, operation, code, answer, name, link


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        shapes = [s for s in schema["anyOf"] if s.get("type") != "null"]
        if len(shapes) == 1:
            return resolve(spec, shapes[0])
    return schema


def documented_at(spec: dict[str, Any], schema: dict[str, Any], pointer: str) -> dict[str, Any]:
    """The schema of the value at `pointer` in an answer documented by `schema` (KeyError when undocumented)."""
    for step in pointer.strip("/").split("/"):
        schema = resolve(spec, schema)
        schema = schema["items"] if step.isdigit() else schema["properties"][step]
    return resolve(spec, schema)


def test_every_link_targets_an_operation_of_the_document_with_values_its_source_documents(spec):
    by_id = {op["operationId"]: (path, op) for path, item in spec["paths"].items() for op in item.values()}
    links = list(links_of(spec))
    assert links, "a service without links"
    for path, method, _operation, code, answer, name, link in links:
        where = f"{method.upper()} {path} [{code}] {name}"
        assert code.startswith("2"), f"{where}: a link from a refusal"
        target_path, target = by_id[link["operationId"]]
        path_params = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert link["parameters"] and set(link["parameters"]) <= path_params, where
        for param, expression in link["parameters"].items():
            match = EXPRESSION.match(expression)
            assert match, f"{where}: {expression}"
            if match["param"]:
                assert match["param"] == param and "{" + param + "}" in path, where
                assert path.split("{" + param + "}")[0] == target_path.split("{" + param + "}")[0], where
            else:
                body = answer["content"]["application/json"]["schema"]
                field = documented_at(spec, body, match["pointer"])
                assert field.get("type") in ("string", "integer"), f"{where}: {match['pointer']} is {field}"


def test_schemathesis_builds_a_state_machine_from_the_links(spec):
    schema = schemathesis.openapi.from_dict(spec)
    schema.config.phases.stateful.inference.algorithms = []
    machine = schema.as_state_machine()
    assert machine.root_rules and machine.bundles


EXPECTED = {  # (service, source) -> (target, parameter, expression)
    ("intake", "POST /tickets"): ("GET /tickets/{ticket_id}", "ticket_id", "$response.body#/id"),
    ("intake", "GET /tickets/mine"): ("GET /tickets/{ticket_id}/story", "ticket_id", "$response.body#/0/id"),
    ("dispatch", "GET /tickets"): ("POST /tickets/{ticket_id}/dispatch", "ticket_id", "$response.body#/0/id"),
    ("dispatch", "GET /extensions"): ("POST /extensions/{request_event_id}/grant", "request_event_id",
                                      "$response.body#/0/request_event_id"),
    ("department", "POST /tickets/{ticket_id}/accept"): ("POST /tickets/{ticket_id}/resolve", "ticket_id",
                                                          "$request.path.ticket_id"),
    ("department", "GET /summons"): ("POST /summons/{summons_id}/check-in", "summons_id", "$response.body#/0/summons_id"),
    ("feedback", "GET /tickets/awaiting-rating"): ("POST /tickets/{ticket_id}/rating", "ticket_id", "$response.body#/0/id"),
    ("dashboard", "POST /topics"): ("POST /topics/{topic_id}/close", "topic_id", "$response.body#/id"),
    ("wishes", "GET /wishes/mine"): ("POST /wishes/{wish_id}/confirm", "wish_id", "$response.body#/0/id"),
    ("wishes", "GET /communities/{community_id}/wishes"): ("POST /wishes/{wish_id}/claim", "wish_id", "$response.body#/0/id"),
    ("wishes", "POST /wishes/{wish_id}/claim"): ("POST /wishes/{wish_id}/fulfil", "wish_id", "$request.path.wish_id"),
    ("wishes", "POST /communities/{community_id}/projects"): ("POST /projects/{project_id}/signup", "project_id",
                                                              "$response.body#/id"),
    ("notify", "GET /inbox"): ("POST /inbox/{item_id}/read", "item_id", "$response.body#/items/0/id"),
}


@pytest.mark.parametrize("service, source", sorted(EXPECTED))
def test_the_links_stateful_fuzzing_follows_are_declared(service, source):
    spec = importlib.import_module(f"services.{service}.app").create_app().openapi()
    target, param, expression = EXPECTED[service, source]
    ids = {op["operationId"]: f"{m.upper()} {p}" for p, item in spec["paths"].items() for m, op in item.items()}
    method, path = source.split(" ", 1)
    found = {
        ids[link["operationId"]]: link["parameters"]
        for answer in spec["paths"][path][method.lower()]["responses"].values()
        for link in answer.get("links", {}).values()
    }
    assert found.get(target) == {param: expression}, found
