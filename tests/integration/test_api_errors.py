"""Bad input gets a clear 4xx naming the problem, never a 500, and stores nothing (real PostgreSQL and Kafka)."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from libs.auth import Principal, mint_token
from libs.events import REPORTS, Actor, OverdueDigest, OverdueItem, encode_event, topic_name
from libs.messaging import OutboxMessage
from libs.settings import get_settings


@pytest.fixture(scope="module")
def clients(service_clients):
    """Each service app in-process on its own fresh databases and topic prefix (tests/integration/conftest.py)."""
    return service_clients


def bearer(role: str, sub: str = "u-1", **scope) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(Principal(sub=sub, role=role, **scope))}"}


RESIDENT = bearer("resident", "r-api", community_id="xinran")
GOOD = {"title": "楼道灯坏了", "description": "5号楼2单元楼道灯不亮", "category": "road"}


def stored(client: TestClient) -> tuple[int, int]:
    """(tickets, outbox rows) in the service's own database."""
    runtime = client.app.state.runtime
    with Session(runtime.engine) as session:
        outbox = session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    return len(client.get("/tickets/mine", headers=RESIDENT).json()), outbox


def file(client: TestClient, body: dict, headers: dict | None = None, key: str | None = None):
    return client.post("/tickets", json=body, headers={**(headers or RESIDENT), "Idempotency-Key": key or uuid.uuid4().hex})


@pytest.mark.parametrize(
    "body, field",
    [
        ({k: v for k, v in GOOD.items() if k != "title"}, "title"),
        ({**GOOD, "title": "x" * 81}, "title"),
        ({**GOOD, "description": "   "}, "description"),
        ({**GOOD, "description": 42}, "description"),
        ({**GOOD, "latitude": "north"}, "latitude"),
        ({**GOOD, "urgency": "whenever"}, "urgency"),
        ({**GOOD, "contact_phone": "call me"}, "contact_phone"),
        ({**GOOD, "attachments": ["ftp://x"]}, "attachments"),
        ({**GOOD, "surprise": 1}, "surprise"),
    ],
)
def test_malformed_filing_is_a_422_naming_the_field_and_stores_nothing(clients, body, field):
    intake = clients["intake"]
    before = stored(intake)
    response = file(intake, body)
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert stored(intake) == before


def test_unknown_category_is_a_422_naming_the_field_and_stores_nothing(clients):
    before = stored(clients["intake"])
    response = file(clients["intake"], {**GOOD, "category": "ufo"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("category: unknown category 'ufo'")
    assert stored(clients["intake"]) == before


def test_filing_without_an_idempotency_key_is_refused(clients):
    response = clients["intake"].post("/tickets", json=GOOD, headers=RESIDENT)
    assert response.status_code == 422
    assert "idempotency-key" in str(response.json()["detail"]).lower()


def test_a_retried_filing_returns_the_first_ticket_and_stores_one(clients):
    intake = clients["intake"]
    before_tickets, before_outbox = stored(intake)
    first = file(intake, GOOD, key="retry-key-0001")
    again = file(intake, GOOD, key="retry-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert stored(intake) == (before_tickets + 1, before_outbox + 1)
    reused = file(intake, {**GOOD, "title": "另一件事"}, key="retry-key-0001")
    assert reused.status_code == 409 and "already used" in reused.json()["detail"]


def test_missing_token_is_401_and_garbage_token_is_401(clients):
    assert clients["intake"].get("/tickets/mine").status_code == 401
    response = clients["intake"].get("/tickets/mine", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401 and "invalid bearer token" in response.json()["detail"]


@pytest.mark.parametrize(
    "service, method, path, body",
    [
        ("intake", "post", "/tickets", GOOD),
        ("dispatch", "post", "/tickets/T1/dispatch", {"department_id": "urban"}),
        ("dispatch", "get", "/tickets", None),
        ("department", "post", "/tickets/T1/accept", None),
        ("department", "get", "/tickets", None),
        ("feedback", "post", "/tickets/T1/rating", {"satisfaction": "satisfied", "solved": True}),
        ("dashboard", "get", "/rankings", None),
    ],
)
def test_wrong_role_is_403_naming_the_allowed_roles(clients, service, method, path, body):
    wrong = {
        "intake": bearer("leader"),
        "dispatch": bearer("department_staff", department_id="urban"),
        "department": bearer("community_staff", community_id="xinran"),
        "feedback": bearer("department_staff", department_id="urban"),
        "dashboard": bearer("resident", community_id="xinran"),  # staff see their own figures; residents none
    }[service]
    headers = {**wrong, "Idempotency-Key": uuid.uuid4().hex}
    response = getattr(clients[service], method)(path, headers=headers, **({"json": body} if body else {}))
    assert response.status_code == 403
    assert "may not do this; allowed:" in response.json()["detail"]


@pytest.mark.parametrize(
    "service, method, path, role, scope, body",
    [
        ("intake", "get", "/tickets/T-none", "resident", {}, None),
        ("dispatch", "post", "/tickets/T-none/dispatch", "community_staff", {"community_id": "xinran"}, {"department_id": "urban"}),
        ("dispatch", "post", "/tickets/T-none/settle", "community_staff", {"community_id": "xinran"}, {"note": "当场解决"}),
        ("department", "post", "/tickets/T-none/accept", "department_staff", {"department_id": "urban"}, None),
        ("department", "post", "/tickets/T-none/resolve", "department_staff", {"department_id": "urban"}, {"note": "已修复"}),
        ("feedback", "post", "/tickets/T-none/rating", "resident", {}, {"satisfaction": "satisfied", "solved": True}),
    ],
)
def test_unknown_ticket_is_404_naming_it(clients, service, method, path, role, scope, body):
    response = getattr(clients[service], method)(path, headers=bearer(role, **scope), **({"json": body} if body else {}))
    assert response.status_code == 404
    assert "T-none" in response.json()["detail"]


def test_rating_with_a_wrong_type_names_the_field(clients):
    response = clients["feedback"].post(
        "/tickets/T1/rating", headers=bearer("resident"), json={"satisfaction": "ecstatic", "solved": "maybe"}
    )
    assert response.status_code == 422
    detail = str(response.json()["detail"])
    assert "satisfaction" in detail and "solved" in detail


def test_dashboard_scope_outside_the_callers_own_is_403(clients):
    staff = bearer("community_staff", community_id="xinran")
    assert clients["dashboard"].get("/summary", params={"scope": "community:xinran"}, headers=staff).status_code == 200
    response = clients["dashboard"].get("/summary", params={"scope": "community:jiamenkou"}, headers=staff)
    assert response.status_code == 403 and "超出您的查看范围" in response.json()["detail"]
    bad = clients["dashboard"].get("/summary", params={"scope": "everything; drop table"}, headers=bearer("leader"))
    assert bad.status_code == 422 and "scope" in str(bad.json()["detail"])


# --------------------------------------------------------------------------- deadlines, extensions, merge, admin

SUPERVISOR = bearer("supervisor", "sup-1")
ADMIN = bearer("admin", "admin-1")
URBAN = bearer("department_staff", "d-1", department_id="urban")
XINRAN = bearer("community_staff", "s-1", community_id="xinran")


def outbox_rows(client: TestClient) -> int:
    with Session(client.app.state.runtime.engine) as session:
        return session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()


@pytest.mark.parametrize(
    "service, method, path, headers, body",
    [
        ("department", "post", "/tickets/T1/contact", XINRAN, {"note": "x"}),
        ("department", "post", "/tickets/T1/extension", SUPERVISOR, {"amount": 1, "reason": "需要时间"}),
        ("dispatch", "post", "/tickets/T1/merge", URBAN, {"into_ticket_id": "T2"}),
        ("dispatch", "post", "/tickets/T1/suspend", XINRAN, {"reason": "等待判决"}),
        ("dispatch", "post", "/tickets/T1/resume", ADMIN, None),
        ("dispatch", "get", "/extensions", XINRAN, None),
        ("dispatch", "post", "/extensions/E1/grant", URBAN, None),
        ("dispatch", "post", "/extensions/E1/refuse", XINRAN, {"note": "不同意"}),
        ("dispatch", "get", "/admin/sla-policy", SUPERVISOR, None),
        ("dispatch", "put", "/admin/sla-policy", SUPERVISOR, {"version": 9}),
        ("dispatch", "get", "/admin/calendar", XINRAN, None),
        ("dispatch", "put", "/admin/calendar", SUPERVISOR, {"holidays": []}),
        ("dashboard", "get", "/rankings/history?month=2026-11", XINRAN, None),
        ("dashboard", "get", "/digests?day=2026-11-26", RESIDENT, None),
    ],
)
def test_new_endpoints_refuse_the_wrong_role_with_403(clients, service, method, path, headers, body):
    response = getattr(clients[service], method)(path, headers=headers, **({"json": body} if body is not None else {}))
    assert response.status_code == 403, response.text
    assert "may not do this; allowed:" in response.json()["detail"]


@pytest.mark.parametrize(
    "service, path, headers, body",
    [
        ("department", "/tickets/T-none/contact", URBAN, {"note": "已联系"}),
        ("department", "/tickets/T-none/extension", URBAN, {"amount": 1, "unit": "working_days", "reason": "需要时间"}),
        ("dispatch", "/tickets/T-none/merge", XINRAN, {"into_ticket_id": "T-other"}),
        ("dispatch", "/tickets/T-none/suspend", SUPERVISOR, {"reason": "等待判决"}),
        ("dispatch", "/tickets/T-none/resume", SUPERVISOR, {"note": "恢复"}),
        ("dispatch", "/extensions/T-none/grant", SUPERVISOR, {"note": "同意"}),
        ("dispatch", "/extensions/T-none/refuse", SUPERVISOR, {"note": "不同意"}),
    ],
)
def test_new_endpoints_on_an_unknown_ticket_are_404_naming_it(clients, service, path, headers, body):
    response = clients[service].post(path, headers=headers, json=body)
    assert response.status_code == 404, response.text
    assert "T-none" in response.json()["detail"]


@pytest.mark.parametrize(
    "service, path, headers, body, field",
    [
        ("department", "/tickets/T1/extension", URBAN, {"amount": 0, "reason": "需要时间"}, "amount"),
        ("department", "/tickets/T1/extension", URBAN, {"amount": 1, "unit": "weeks", "reason": "需要时间"}, "unit"),
        ("department", "/tickets/T1/extension", URBAN, {"amount": 1}, "reason"),
        ("department", "/tickets/T1/contact", URBAN, {"note": "x" * 501}, "note"),
        ("dispatch", "/tickets/T1/merge", XINRAN, {}, "into_ticket_id"),
        ("dispatch", "/tickets/T1/suspend", SUPERVISOR, {"reason": ""}, "reason"),
        ("dispatch", "/extensions/E1/grant", SUPERVISOR, {"amount": -1}, "amount"),
        ("dispatch", "/extensions/E1/grant", SUPERVISOR, {"unit": "fortnights"}, "unit"),
        ("dispatch", "/extensions/E1/refuse", SUPERVISOR, {}, "note"),
    ],
)
def test_new_commands_with_bad_input_are_422_naming_the_field(clients, service, path, headers, body, field):
    before = outbox_rows(clients[service])
    response = clients[service].post(path, headers=headers, json=body)
    assert response.status_code == 422, response.text
    assert field in str(response.json()["detail"])
    assert outbox_rows(clients[service]) == before


def test_extension_status_filter_must_be_a_known_status(clients):
    response = clients["dispatch"].get("/extensions", params={"status": "maybe"}, headers=SUPERVISOR)
    assert response.status_code == 422 and "status" in str(response.json()["detail"])


def test_a_bad_sla_policy_is_422_naming_the_key_and_stores_nothing(clients):
    dispatch = clients["dispatch"]
    current = dispatch.get("/admin/sla-policy", headers=ADMIN).json()
    before = outbox_rows(dispatch)
    broken = {**current["document"], "version": current["version"] + 1}
    broken["urgencies"] = {**broken["urgencies"], "urgent": {**broken["urgencies"]["urgent"], "accept": {"amount": 2, "unit": "fortnights"}}}
    response = dispatch.put("/admin/sla-policy", headers=ADMIN, json=broken)
    assert response.status_code == 422 and "urgencies.urgent.accept.unit" in response.json()["detail"]
    not_a_policy = dispatch.put("/admin/sla-policy", headers=ADMIN, json=["version", 2])
    assert not_a_policy.status_code == 422
    assert outbox_rows(dispatch) == before
    assert dispatch.get("/admin/sla-policy", headers=ADMIN).json()["version"] == current["version"]


@pytest.mark.parametrize("offset", [0, 2, -1])
def test_an_sla_policy_version_other_than_current_plus_one_is_409(clients, offset):
    dispatch = clients["dispatch"]
    current = dispatch.get("/admin/sla-policy", headers=ADMIN).json()
    before = outbox_rows(dispatch)
    response = dispatch.put("/admin/sla-policy", headers=ADMIN, json={**current["document"], "version": max(current["version"] + offset, 1)})
    assert response.status_code == 409 and f"version: expected {current['version'] + 1}" in response.json()["detail"]
    assert outbox_rows(dispatch) == before


def test_the_next_sla_policy_version_is_stored_and_staged_for_the_config_topic(clients):
    dispatch = clients["dispatch"]
    current = dispatch.get("/admin/sla-policy", headers=ADMIN).json()
    before = outbox_rows(dispatch)
    response = dispatch.put("/admin/sla-policy", headers=ADMIN, json={**current["document"], "version": current["version"] + 1})
    assert response.status_code == 200, response.text
    assert dispatch.get("/admin/sla-policy", headers=ADMIN).json() | {"published_at": None} == response.json() | {"published_at": None}
    assert outbox_rows(dispatch) == before + 1
    with Session(dispatch.app.state.runtime.engine) as session:
        topic = session.execute(select(OutboxMessage.topic).order_by(OutboxMessage.id.desc()).limit(1)).scalar_one()
    assert topic == "config"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"holidays": ["2026-02-30"]}, "holidays"),
        ({"workdays": ["next monday"]}, "workdays"),
        ({"remove": "2026-10-01"}, "remove"),
        ({"holidays": ["2026-12-31"], "workdays": ["2026-12-31"]}, "holidays, workdays"),
        ({"weekends": []}, "weekends"),
    ],
)
def test_a_bad_calendar_is_422_naming_the_field_and_stores_nothing(clients, body, field):
    dispatch = clients["dispatch"]
    before = (outbox_rows(dispatch), dispatch.get("/admin/calendar", headers=ADMIN).json())
    response = dispatch.put("/admin/calendar", headers=ADMIN, json=body)
    assert response.status_code == 422, response.text
    assert field in str(response.json()["detail"])
    assert (outbox_rows(dispatch), dispatch.get("/admin/calendar", headers=ADMIN).json()) == before


def test_calendar_overrides_are_stored_and_replace_the_previous_ones(clients):
    dispatch = clients["dispatch"]
    first = dispatch.put("/admin/calendar", headers=ADMIN, json={"holidays": ["2026-12-31"]})
    assert first.status_code == 200, first.text
    second = dispatch.put("/admin/calendar", headers=ADMIN, json={"workdays": ["2027-01-03"], "remove": ["2026-12-31"]})
    assert second.status_code == 200, second.text
    current = dispatch.get("/admin/calendar", headers=ADMIN).json()
    assert (current["holidays"], current["workdays"], current["remove"]) == ([], ["2027-01-03"], ["2026-12-31"])


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/rankings/history", {"month": "2026-13"}, "month"),
        ("/rankings/history", {"month": "November"}, "month"),
        ("/rankings/history", {}, "month"),
        ("/digests", {"day": "2026-02-30"}, "day"),
        ("/digests", {"day": "yesterday"}, "day"),
    ],
)
def test_report_queries_with_a_bad_date_are_422_naming_it(clients, path, params, field):
    response = clients["dashboard"].get(path, params=params, headers=bearer("leader"))
    assert response.status_code == 422, response.text
    assert field in str(response.json()["detail"])


async def _publish_reports(events) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=get_settings().kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(topic_name(REPORTS), value=encode_event(event), key=event.key.encode())
    finally:
        await producer.stop()


def test_staff_may_ask_for_digests_but_see_only_their_own_scope(clients):
    """Digests for three scopes reach the dashboard over the reports topic; each caller sees exactly its share."""
    dashboard, day = clients["dashboard"], "2026-11-26"
    scopes = ["community:jiamenkou", "community:xinran", "department:urban"]
    item = OverdueItem(ticket_id="T-late", title="路灯不亮", status="dispatched", escalation_level=1)
    actor = Actor(role="system", id="workflows")
    asyncio.run(_publish_reports([OverdueDigest(actor=actor, scope=scope, day=day, tickets=(item,)) for scope in scopes]))

    def seen(headers) -> list[str]:
        response = dashboard.get("/digests", params={"day": day}, headers=headers)
        assert response.status_code == 200, response.text
        return [d["scope"] for d in response.json()]

    deadline = time.monotonic() + 120  # the dashboard's consumer picks the events up; generous on a loaded machine
    while seen(bearer("leader")) != scopes and time.monotonic() < deadline:
        time.sleep(0.3)
    assert seen(bearer("leader")) == scopes
    assert seen(XINRAN) == ["community:xinran"]
    assert seen(URBAN) == ["department:urban"]
    assert seen(bearer("community_staff", community_id="shiliuqiao")) == []
