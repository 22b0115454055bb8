"""查看完整号码 on the worklist and the console: the button shows beside a masked number for the ticket's handlers, the
reveal asks intake (which records it) and shows the number on a page that is never cached; others never reach intake."""
from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

# Shared fakes and fixtures (fake, settings, portal) of the portal page tests.
from test_portal_pages import (  # noqa: F401  (fixtures are used by name)
    FakeBackends,
    department_ticket,
    dispatch_ticket,
    fake,
    log_in,
    portal,
    settings,
)

REVEALED = {"ticket_id": "T1", "contact_name": "王秀兰", "contact_phone": "13912345678",
            "reporter_phone_masked": "139****5678", "revealed_at": "2026-11-26T02:30:00+00:00"}


def test_the_worklist_offers_the_reveal_beside_a_masked_number_and_shows_the_number_on_a_page_not_cached(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[
        department_ticket(id="T1", reporter_phone_masked="139****5678"),
        department_ticket(id="T2", reporter_phone_masked=None),
    ]))
    fake.on("intake", "POST", "/tickets/T1/contact/reveal", httpx.Response(200, json=REVEALED))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist").text
    assert "139****5678" in page and "13912345678" not in page
    assert page.count("查看完整号码") == 1 and 'action="/worklist/T1/reveal"' in page
    shown = portal.post("/worklist/T1/reveal")
    assert shown.status_code == 200
    assert "13912345678" in shown.text and "王秀兰" in shown.text and "本次查看已记录" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    [sent] = fake.sent("intake", "POST", "/tickets/T1/contact/reveal")
    assert sent.headers["authorization"].startswith("Bearer ")


def test_the_console_offers_the_reveal_to_community_staff(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket(id="T1", reporter_phone_masked="139****5678")]))
    fake.on("intake", "POST", "/tickets/T1/contact/reveal", httpx.Response(200, json=REVEALED))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert 'action="/console/T1/reveal"' in page and "查看完整号码" in page
    assert "13912345678" in portal.post("/console/T1/reveal").text


def test_a_refused_reveal_is_a_403_page_without_the_number(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "POST", "/tickets/T9/contact/reveal",
            httpx.Response(403, json={"detail": "ticket_id: ticket T9 is not held by your department; only its handler may call back"}))
    log_in(portal, "water_staff")
    refused = portal.post("/worklist/T9/reveal")
    assert refused.status_code == 403
    assert "13912345678" not in refused.text


@pytest.mark.parametrize(("username", "path"), [
    ("resident1", "/worklist/T1/reveal"), ("resident1", "/console/T1/reveal"),
    ("urban_staff", "/console/T1/reveal"), ("xinran_staff", "/worklist/T1/reveal"), ("admin", "/worklist/T1/reveal"),
])
def test_anyone_else_gets_a_403_page_and_intake_is_not_asked(portal: TestClient, fake: FakeBackends, username, path) -> None:
    log_in(portal, username)
    assert portal.post(path).status_code == 403
    assert fake.sent("intake", "POST", "/tickets/T1/contact/reveal") == []


def test_the_file_form_tells_intake_the_browsers_address_for_its_per_address_limit(portal: TestClient, fake: FakeBackends) -> None:
    from test_portal_pages import FILE_FORM, hidden_idempotency_key, intake_ticket

    fake.on("intake", "POST", "/tickets", httpx.Response(201, json=intake_ticket()))
    log_in(portal, "resident1")
    key = hidden_idempotency_key(portal.get("/file").text)
    portal.post("/file", data={**FILE_FORM, "idempotency_key": key}, headers={"X-Forwarded-For": "10.0.0.1"},
                follow_redirects=False)
    (sent,) = fake.sent("intake", "POST", "/tickets")
    assert sent.headers["X-Forwarded-For"] == "10.0.0.1, testclient"  # intake counts the last: the portal's peer


def test_a_refused_filing_is_logged_without_what_was_typed(portal: TestClient, fake: FakeBackends) -> None:
    import io

    import structlog
    from test_portal_pages import FILE_FORM, hidden_idempotency_key

    refusal = [{"type": "string_pattern_mismatch", "loc": ["body", "contact_phone"], "msg": "String should match pattern",
                "input": "1391234567x 王秀兰", "ctx": {"pattern": "..."}}]
    fake.on("intake", "POST", "/tickets", httpx.Response(422, json={"detail": refusal}))
    log_in(portal, "resident1")
    key = hidden_idempotency_key(portal.get("/file").text)
    sink = io.StringIO()
    before = structlog.get_config()["logger_factory"]
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sink))
    try:
        portal.post("/file", data={**FILE_FORM, "idempotency_key": key}, follow_redirects=False)
    finally:
        structlog.configure(logger_factory=before)
    logged = sink.getvalue()
    assert "backend_rejected" in logged and "contact_phone" in logged
    assert "1391234567x" not in logged and "王秀兰" not in logged


def test_the_file_form_sends_the_contact_name_unless_the_filing_is_anonymous(portal: TestClient, fake: FakeBackends) -> None:
    from test_portal_pages import FILE_FORM, hidden_idempotency_key, intake_ticket

    fake.on("intake", "POST", "/tickets", httpx.Response(201, json=intake_ticket()))
    log_in(portal, "resident1")
    assert 'name="contact_name"' in portal.get("/file").text
    for extra in ({}, {"anonymous": "true"}):
        key = hidden_idempotency_key(portal.get("/file").text)
        portal.post("/file", data={**FILE_FORM, "contact_name": " 王秀兰 ", **extra, "idempotency_key": key},
                    follow_redirects=False)
    named, anonymous = (json.loads(r.content) for r in fake.sent("intake", "POST", "/tickets"))
    assert named["contact_name"] == "王秀兰"
    assert "contact_name" not in anonymous


def test_admins_read_who_revealed_which_number_when_and_may_filter_by_ticket(portal: TestClient, fake: FakeBackends) -> None:
    rows = [
        {"id": 2, "ticket_id": "T1", "actor_id": "urban_staff", "actor_role": "department_staff", "actor_scope": "urban",
         "revealed_at": "2026-11-26T03:00:00+00:00"},
        {"id": 1, "ticket_id": "T1", "actor_id": "xinran_staff", "actor_role": "community_staff", "actor_scope": "xinran",
         "revealed_at": "2026-11-26T02:30:00+00:00"},
    ]
    fake.on("intake", "GET", "/admin/contact-reveals", httpx.Response(200, json=rows))
    log_in(portal, "admin")
    page = portal.get("/admin/contact-reveals", params={"ticket_id": "T1"})
    assert page.status_code == 200
    assert "号码查看记录" in page.text and "部门工作人员" in page.text and "社区工作人员" in page.text
    assert "2026-11-26 11:00:00" in page.text  # Beijing time
    (sent,) = fake.sent("intake", "GET", "/admin/contact-reveals")
    assert sent.url.params["ticket_id"] == "T1"


@pytest.mark.parametrize("username", ["xinran_staff", "urban_staff", "supervisor1", "resident1"])
def test_only_admins_see_the_reveal_record(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    assert portal.get("/admin/contact-reveals").status_code == 403
    assert fake.requests == []


def test_a_filing_over_intakes_limit_shows_the_form_again_saying_to_try_later(portal: TestClient, fake: FakeBackends) -> None:
    from test_portal_pages import FILE_FORM, hidden_idempotency_key

    fake.on("intake", "POST", "/tickets", httpx.Response(
        429, headers={"Retry-After": "60"}, json={"detail": "client: 提交过于频繁，请稍后再试（约 60 秒后可再提交）"}))
    log_in(portal, "resident1")
    key = hidden_idempotency_key(portal.get("/file").text)
    page = portal.post("/file", data={**FILE_FORM, "idempotency_key": key}, follow_redirects=False)
    assert page.status_code == 429
    assert "提交过于频繁，请稍后再试" in page.text
    assert 'name="title"' in page.text and "小区门口路面塌陷" in page.text  # what was typed is kept
