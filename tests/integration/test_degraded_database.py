"""Database down (issue 13, item 6): every service answers 503 + Retry-After with a Chinese message, never a 500.

Every service (and the portal) runs in-process on a PostgreSQL cluster of this test's own, which the test shuts down
(fast shutdown: clients are disconnected) and starts again on the same port and data. While it is down, one request
per service that needs its database (a filing among them) gets 503, `Retry-After` and `detail` in Chinese; the portal's
login answers a page saying to try again. Each answer is the 503 the service's OpenAPI documents (body, example,
Retry-After). TestClient re-raises any unhandled exception, so a 500 would fail the test,
and the captured logs hold no error line. Once the cluster is back, the same requests succeed without a restart.
"""
from __future__ import annotations

import importlib
import json
import re
import uuid

import jsonschema
import pytest
from fastapi.testclient import TestClient

from tests.portal_client import PortalClient

from libs.settings import get_settings
from tests.integration.conftest import bearer
from tests.integration.test_consumer_failures import own_postgres  # noqa: F401 - fixture

SERVICES = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify")
RESIDENT = {"role": "resident", "sub": "r-degraded", "community_id": "xinran"}


def probes() -> dict[str, tuple[str, str, dict, dict | None]]:
    """service -> (method, path, headers, json): one request each that needs the service's database."""
    resident = bearer(**RESIDENT)
    return {
        "intake": ("POST", "/tickets", {**resident, "Idempotency-Key": uuid.uuid4().hex},
                   {"title": "路灯不亮", "description": "数据库停机时的报事", "category": "road", "community_id": "xinran"}),
        "dispatch": ("GET", "/tickets?community_id=xinran", bearer("community_staff", "s-degraded", community_id="xinran"), None),
        "department": ("GET", "/summons", bearer("department_staff", "d-degraded", department_id="urban"), None),
        "feedback": ("GET", "/tickets/awaiting-rating", resident, None),
        "dashboard": ("GET", "/summary", bearer("leader", "l-degraded"), None),
        "wishes": ("GET", "/wishes/mine", resident, None),
        "notify": ("GET", "/inbox", resident, None),
    }


def call(client: TestClient, method: str, path: str, headers: dict, body: dict | None):
    return client.request(method, path, headers=headers, json=body)


def login_form(portal: TestClient) -> dict[str, str]:
    """The login form's hidden fields (a CSRF token, if the form has one) plus a username and password."""
    page = portal.get("/login")
    assert page.status_code == 200, page.text[:300]
    hidden = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    return {**hidden, "username": "nobody-degraded", "password": "wrong-password-123"}


@pytest.fixture
def services_on_own_postgres(own_postgres, kafka_bootstrap):  # noqa: F811 - the imported fixture
    mp = pytest.MonkeyPatch()
    run = uuid.uuid4().hex[:6]
    mp.setenv("DATABASE_URL", own_postgres.pg.url.rsplit("/", 1)[0] + f"/degraded{run}")
    mp.setenv("KAFKA_BOOTSTRAP", kafka_bootstrap)
    mp.setenv("TOPIC_PREFIX", f"dg{run}.")
    mp.setenv("PORTAL_DEMO_USERS", "none")
    get_settings.cache_clear()
    opened: dict[str, TestClient] = {}
    try:
        for service in (*SERVICES, "portal"):
            make = PortalClient if service == "portal" else TestClient  # the portal's client sends the CSRF token
            client = make(importlib.import_module(f"services.{service}.app").create_app(), follow_redirects=False)
            client.__enter__()
            opened[service] = client
        yield own_postgres, opened
    finally:
        for client in opened.values():
            client.__exit__(None, None, None)
        mp.undo()
        get_settings.cache_clear()


def test_database_down_every_service_answers_503_with_retry_after_and_recovers(services_on_own_postgres, capsys):
    pg, clients = services_on_own_postgres
    requests = probes()
    for service, (method, path, headers, body) in requests.items():  # the probes are right: they work while it is up
        answer = call(clients[service], method, path, headers, body)
        assert answer.status_code in (200, 201), f"{service} {method} {path}: {answer.status_code} {answer.text[:300]}"
    assert clients["portal"].post("/login", data=login_form(clients["portal"])).status_code == 401
    capsys.readouterr()

    pg.stop_server()
    try:
        for service, (method, path, headers, body) in probes().items():
            answer = call(clients[service], method, path, headers, body)
            assert answer.status_code == 503, f"{service} {method} {path}: {answer.status_code} {answer.text[:300]}"
            assert answer.headers["Retry-After"] == "5", service
            assert "服务暂时不可用" in answer.json()["detail"] and "请稍后重试" in answer.json()["detail"], service
            spec = clients[service].get("/openapi.json").json()  # the answer is the one its OpenAPI documents
            documented = spec["paths"][path.split("?")[0]][method.lower()]["responses"]["503"]
            assert "Retry-After" in documented["headers"], service
            jsonschema.validate(answer.json(), {**documented["content"]["application/json"]["schema"], "components": spec["components"]})
            examples = documented["content"]["application/json"]["examples"].values()
            assert answer.json() in [example["value"] for example in examples], service
            ready = clients[service].get("/readyz")
            assert ready.status_code == 503 and "database" in ready.json()["problems"], service
        page = clients["portal"].post("/login", data=login_form(clients["portal"]))
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "服务暂时不可用" in page.text and "请稍后刷新页面重试" in page.text
        logs = capsys.readouterr().out
    finally:
        pg.start_server()

    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line.get("level") in ("error", "critical") or "exception" in line]
    assert errors == [], f"error lines while the database was down: {errors[:3]}"
    unavailable = {line.get("service") for line in lines if line.get("event") == "service_unavailable"}
    assert unavailable >= {*SERVICES, "portal"}, unavailable

    for service, (method, path, headers, body) in probes().items():  # back without a restart (pool_pre_ping)
        answer = call(clients[service], method, path, headers, body)
        assert answer.status_code in (200, 201), f"{service} after the restart: {answer.status_code} {answer.text[:300]}"
