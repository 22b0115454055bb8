"""The authorization matrix (tests/authz/matrix/*.yaml) against the apps' routes, without servers: every route of every
service has exactly one row and every row a route; the rows are well-formed; every bearer route answers 401 to no
token, an expired token, a token signed with another key and an `alg=none` token; every role a row does not let in
is a 403. Both are answered before a use case runs, so the apps are built without starting their lifespan. The own
and other-scope cells run on real infrastructure in tests/integration/test_authz_matrix.py."""
from __future__ import annotations

import importlib
from functools import cache

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from libs.auth import ROLES
from libs.runtime.errors import api_routes
from tests.authz.matrix import SERVICES, TOKEN_FAULTS, Row, fill, forged_token, load_matrix, problems, url
from tests.authz.world import OWN

ROWS = load_matrix()
DUMMY_WORLD: dict[str, str] = {}  # path and body values stay as the literal world keys: nothing is looked up


@cache
def app_of(service: str) -> FastAPI:
    return importlib.import_module(f"services.{service}.app").create_app()


@cache
def client_of(service: str) -> TestClient:
    return TestClient(app_of(service), raise_server_exceptions=False)


def declared_routes(service: str) -> set[str]:
    return {f"{method} {route.path}" for route in api_routes(app_of(service).routes) for method in route.methods
            if method != "HEAD"}


def request(row: Row, headers: dict[str, str]):  # noqa: ANN201
    body = fill(row.body, _Echo())
    files = {"files": ("x.jpg", b"\xff\xd8\xff", "image/jpeg")} if row.files else None
    return client_of(row.service).request(
        row.method, url(row, DUMMY_WORLD), headers={**row.headers, **headers},
        params=fill(row.query, _Echo()) or None, json=body if body is not None else None, files=files,
    )


class _Echo(dict):
    """A world in which every key stands for itself (the request never gets as far as looking it up)."""

    def __missing__(self, key: str) -> str:
        return key


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_has_exactly_one_row_and_every_row_a_route(service):
    rows = [r for r in ROWS if r.service == service]
    keys = [f"{r.method} {r.path}" for r in rows]
    assert len(keys) == len(set(keys)), "a route has two rows"
    routes = declared_routes(service)
    missing = sorted(routes - set(keys))
    assert not missing, (
        f"{service}: routes without a row in tests/authz/matrix/{service}.yaml (say who may call them and what "
        f"another scope gets): {missing}"
    )
    assert not sorted(set(keys) - routes), f"{service}: rows for routes that do not exist"


def test_the_matrix_is_well_formed():
    assert problems(ROWS) == []


def test_bearer_rows_name_the_roles_and_public_rows_take_no_token():
    from libs.auth import current_principal
    from libs.runtime.errors import _depends_on

    for service in SERVICES:
        by_key = {f"{m} {r.path}": r for r in api_routes(app_of(service).routes) for m in r.methods}
        for row in (r for r in ROWS if r.service == service):
            route = by_key[f"{row.method} {row.path}"]
            bearer = _depends_on(route.dependant, current_principal)
            assert bearer == (row.auth == "bearer"), f"{row.key}: auth {row.auth!r} but the route {'does' if bearer else 'does not'} take a token"
            if bearer:
                assert row.own, f"{row.key}: nobody may call it?"


BEARER_ROWS = [r for r in ROWS if r.auth == "bearer"]


@pytest.mark.parametrize("fault", TOKEN_FAULTS)
def test_a_missing_expired_forged_or_unsigned_token_is_a_401_on_every_bearer_route(fault):
    token = forged_token(fault, OWN["admin"])
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    wrong = {}
    for row in BEARER_ROWS:
        answer = request(row, headers)
        if answer.status_code != 401:
            wrong[row.key] = (answer.status_code, answer.text[:120])
    assert wrong == {}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_a_row_does_not_let_in_is_a_403(role):
    from tests.authz.world import auth

    wrong = {}
    for row in BEARER_ROWS:
        if role in row.own:
            continue
        answer = request(row, auth(OWN[role]))
        if answer.status_code != 403:
            wrong[row.key] = (answer.status_code, answer.text[:120])
    assert wrong == {}
