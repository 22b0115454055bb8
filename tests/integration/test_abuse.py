"""Abuse limits on filing: per phone and per client address, 429 with Retry-After and a Chinese message, nothing
stored; and one Idempotency-Key never makes two tickets, even when the retries race each other on PostgreSQL."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import text

from services.intake import filing
from services.intake.abuse import TOO_FREQUENT, AbuseSettings, get_limiter
from tests.integration.conftest import bearer

BODY = {"title": "垃圾桶满溢", "description": "6号楼垃圾桶两天没清运", "category": "road", "community_id": "xinran"}


def resident(n: int | str) -> dict[str, str]:
    return bearer("resident", f"r-abuse-{n}", community_id="xinran")


def file(intake, headers, key: str | None = None, **changes):
    return intake.post("/tickets", json={**BODY, **changes}, headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex})


def tickets_with(intake, where: str, **params) -> int:
    with intake.app.state.runtime.engine.connect() as conn:
        return conn.execute(text(f"select count(*) from intake_ticket where {where}"), params).scalar_one()  # noqa: S608


@pytest.fixture
def limits(service_clients):
    """Set the limits for one test (tests run with them off) on fresh counts (they live in intake's database, shared
    by every replica), and switch them off again afterwards."""
    limiter = get_limiter()
    with service_clients["intake"].app.state.runtime.engine.begin() as conn:
        conn.execute(text("delete from intake_rate_hit"))

    def set_limits(**settings: str) -> None:
        limiter.configure(AbuseSettings(**{"rate_per_phone": "off", "rate_per_ip": "off", **settings}))

    yield set_limits
    limiter.configure(AbuseSettings(rate_per_phone="off", rate_per_ip="off"))


def test_a_phone_over_its_limit_gets_429_with_retry_after_and_a_chinese_message_and_nothing_is_stored(service_clients, limits):
    intake = service_clients["intake"]
    limits(rate_per_phone="2/3600")
    phone = "13600001111"
    for n in (1, 2):  # two different residents, one number
        assert file(intake, resident(n), contact_phone=phone).status_code == 201
    before = tickets_with(intake, "filed_by like 'r-abuse-%'")
    refused = file(intake, resident(3), contact_phone="+86 136-0000-1111")  # the same number, spelled otherwise
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(f"contact_phone: {TOO_FREQUENT}")
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    assert tickets_with(intake, "filed_by like 'r-abuse-%'") == before
    assert file(intake, resident(3), contact_phone="13600002222").status_code == 201  # another number still files
    assert file(intake, resident(4)).status_code == 201  # and a filing without a phone


def test_a_retry_of_a_filed_ticket_is_not_counted_against_its_phone(service_clients, limits):
    intake = service_clients["intake"]
    limits(rate_per_phone="1/3600")
    key = uuid.uuid4().hex
    first = file(intake, resident("retry"), key=key, contact_phone="13600003333")
    assert first.status_code == 201
    again = file(intake, resident("retry"), key=key, contact_phone="13600003333")
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])


def test_an_address_over_its_limit_gets_429_with_retry_after_and_nothing_is_stored(service_clients, limits):
    intake = service_clients["intake"]
    limits(rate_per_ip="3/60")
    for n in range(3):
        assert file(intake, resident(f"ip-{n}")).status_code == 201
    before = tickets_with(intake, "filed_by like 'r-abuse-ip-%'")
    refused = file(intake, resident("ip-9"))
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(f"client: {TOO_FREQUENT}")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert tickets_with(intake, "filed_by like 'r-abuse-ip-%'") == before
    # X-Forwarded-For from a peer that is not a trusted proxy changes nothing
    spoofed = intake.post("/tickets", json=BODY, headers={**resident("ip-9"), "Idempotency-Key": uuid.uuid4().hex,
                                                          "X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(service_clients, limits):
    intake = service_clients["intake"]
    limits(rate_per_ip="1/60", trusted_proxies="testclient")

    def from_client(address: str, n: str):
        return intake.post("/tickets", json=BODY, headers={**resident(f"xff-{n}"), "Idempotency-Key": uuid.uuid4().hex,
                                                           "X-Forwarded-For": f"198.51.100.1, {address}"})

    assert from_client("192.0.2.1", "a").status_code == 201
    assert from_client("192.0.2.1", "b").status_code == 429
    assert from_client("192.0.2.2", "c").status_code == 201


def test_concurrent_retries_with_one_idempotency_key_make_one_ticket(service_clients, monkeypatch):
    """Eight copies of one submission race: every one passes the "already filed?" check before any inserts (placement
    is slowed down), so seven meet the unique constraint and must answer with the winner's ticket."""
    intake = service_clients["intake"]
    slow = filing.resolve_placement

    def resolve_slowly(*args, **kwargs):
        time.sleep(0.5)
        return slow(*args, **kwargs)

    monkeypatch.setattr(filing, "resolve_placement", resolve_slowly)
    key = uuid.uuid4().hex
    headers = resident("race")
    start = threading.Barrier(8)
    answers: list = [None] * 8

    def submit(i: int) -> None:
        start.wait()
        try:
            answers[i] = file(intake, headers, key=key, contact_phone="13600004444", contact_name="赵六")
        except Exception as exc:  # noqa: BLE001 - a 500 in the app: shown in the assertion below
            answers[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    codes = sorted(getattr(a, "status_code", 500) for a in answers)
    assert codes == [200] * 7 + [201], [getattr(a, "text", repr(a)) for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    ticket_id = answers[0].json()["id"]
    assert tickets_with(intake, "idempotency_key = :key", key=key) == 1
    with intake.app.state.runtime.engine.connect() as conn:
        filed_lines = conn.execute(
            text("select count(*) from intake_timeline where ticket_id = :id"), {"id": ticket_id}
        ).scalar_one()
        contacts = conn.execute(text("select count(*) from intake_contact where ticket_id = :id"), {"id": ticket_id}).scalar_one()
    assert (filed_lines, contacts) == (1, 1)  # one TicketFiled staged, one contact stored


def test_concurrent_submissions_of_different_tickets_under_one_key_make_one_and_refuse_the_others(service_clients, monkeypatch):
    intake = service_clients["intake"]
    slow = filing.resolve_placement
    monkeypatch.setattr(filing, "resolve_placement", lambda *a, **k: (time.sleep(0.5), slow(*a, **k))[1])
    key = uuid.uuid4().hex
    headers = resident("race-2")
    start = threading.Barrier(4)
    answers: list = [None] * 4

    def submit(i: int) -> None:
        start.wait()
        try:
            answers[i] = file(intake, headers, key=key, title=f"第{i}件事")
        except Exception as exc:  # noqa: BLE001 - a 500 in the app: shown in the assertion below
            answers[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(getattr(a, "status_code", 500) for a in answers) == [201, 409, 409, 409], [getattr(a, "text", repr(a)) for a in answers]
    assert tickets_with(intake, "idempotency_key = :key", key=key) == 1
