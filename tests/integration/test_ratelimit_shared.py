"""The abuse and login limits are shared through PostgreSQL (libs/ratelimit.py): two "replicas" (each its own limiter
and engine, as two processes would have) on one database share every count, so the limit+1-th hit across both is
refused; a lockout survives a new limiter ("a restart"); concurrent hits from threads never get more than the limit
through; a hit made in a use case's transaction holds its key until that transaction ends. Databases migrated by the
services' own Alembic migrations. Every clock is injected: no test waits for time to pass."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from libs.db import make_engine, migrate
from libs.ratelimit import Limit, SlidingWindow
from services.intake.abuse import AbuseSettings, IntakeRateHit, Limiter, RateLimited
from services.intake.follow import FollowGuard, FollowSettings, FollowThrottled
from services.portal.login_limits import LoginLimiter
from tests.integration.conftest import eventually

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def databases(postgres_url):
    """A fresh intake database and a fresh portal database, each at its service's migration head."""
    base, _, name = postgres_url.rpartition("/")
    run = uuid.uuid4().hex[:6]
    urls = {service: f"{base}/{name}_rl{run}_{service}" for service in ("intake", "portal")}
    for service, url in urls.items():
        migrate(url, ROOT / "services" / service / "migrations")
    return urls


@pytest.fixture
def replicas(databases):
    """replicas(service, n): n engines on the service's database, one per would-be process; disposed afterwards."""
    made = []

    def make(service: str, n: int = 2) -> list:
        engines = [make_engine(databases[service]) for _ in range(n)]
        made.extend(engines)
        return engines

    yield make
    for engine in made:
        engine.dispose()


def intake_limiter(clock: Callable[[], float], **settings: str) -> Limiter:
    limiter = Limiter(AbuseSettings(**{"rate_per_phone": "off", "rate_per_ip": "off", **settings}))
    limiter.per_phone.clock = limiter.per_ip.clock = clock
    return limiter


def test_two_intake_replicas_share_the_phone_and_address_counts(replicas):
    now = [1_000_000.0]
    a, b = intake_limiter(lambda: now[0], rate_per_phone="3/3600", rate_per_ip="4/60"), \
        intake_limiter(lambda: now[0], rate_per_phone="3/3600", rate_per_ip="4/60")
    engine_a, engine_b = replicas("intake")
    phone = f"phone-hash-{uuid.uuid4().hex}"
    with Session(engine_a) as session:  # the per-phone hit is made in the filing's transaction
        a.check_phone(session, phone)
        session.commit()
    with Session(engine_b) as session:
        b.check_phone(session, phone)
        session.commit()
    a.check_phone(engine_a, phone)
    with pytest.raises(RateLimited) as refused:  # the 4th, on B, which made one of the three
        b.check_phone(engine_b, phone)
    assert refused.value.retry_after == 3600 and str(refused.value).startswith("contact_phone: 提交过于频繁")

    address = f"198.51.100.{uuid.uuid4().int % 250}"
    for limiter, engine in ((a, engine_a), (b, engine_b), (a, engine_a), (b, engine_b)):
        limiter.check_ip(engine, address)
    now[0] += 20
    with pytest.raises(RateLimited) as refused:
        a.check_ip(engine_a, address)
    assert refused.value.headers == {"Retry-After": "40"}
    now[0] += 40  # the first four leave the window for both replicas
    b.check_ip(engine_b, address)


def test_two_intake_replicas_share_the_follow_up_wrong_tries(replicas):
    now = [2_000_000.0]
    guards = [FollowGuard(FollowSettings(per_ticket="2/3600", per_ip="off")) for _ in range(2)]
    for guard in guards:
        guard.per_ticket.clock = lambda: now[0]
    engines = replicas("intake")
    ticket = f"T20991231-{uuid.uuid4().hex[:8].upper()}"
    guards[0].admit(engines[0], ticket, "203.0.113.5")
    guards[1].admit(engines[1], ticket, "203.0.113.6")
    guards[1].forgive(engines[1], ticket, "203.0.113.6")  # a right answer does not count, on either replica
    guards[0].admit(engines[0], ticket, "203.0.113.5")
    with pytest.raises(FollowThrottled):
        guards[1].admit(engines[1], ticket, "203.0.113.7")


def test_two_portal_replicas_share_failed_logins_and_a_restart_keeps_the_lockout(replicas):
    now = [3_000_000.0]

    def portal(engine) -> LoginLimiter:
        return LoginLimiter(engine, per_user=5, per_address=20, window=900, lock=900, clock=lambda: now[0])

    engine_a, engine_b = replicas("portal")
    a, b = portal(engine_a), portal(engine_b)
    user = f"user-{uuid.uuid4().hex[:8]}"
    for i in range(4):
        (a if i % 2 else b).failed(user, f"192.0.2.{i}")
    assert a.retry_after(user, None) is None and b.retry_after(user, None) is None
    assert a.failed(user, "192.0.2.9") is True  # the 5th failure across both replicas locks the username out
    assert b.retry_after(user, "192.0.2.200") == 900  # even the replica that counted two sees it at once
    now[0] += 300
    engine_a.dispose(), engine_b.dispose()  # both portals stop; a new one starts on the same database
    (restarted,) = replicas("portal", 1)
    assert portal(restarted).retry_after(user.upper(), None) == 600
    now[0] += 600
    assert portal(restarted).retry_after(user, None) is None


def test_concurrent_hits_from_threads_on_two_replicas_never_get_past_the_limit(replicas):
    engines = replicas("intake")
    windows = [SlidingWindow(IntakeRateHit, Limit(5, 3600), scope="race", clock=lambda: 4_000_000.0) for _ in engines]
    key = uuid.uuid4().hex
    start = threading.Barrier(8)
    allowed: list[bool] = []

    def hammer(i: int) -> None:
        start.wait()
        for _ in range(3):
            allowed.append(windows[i % 2].hit(engines[i % 2], key) is None)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert (allowed.count(True), len(allowed)) == (5, 24)
    assert windows[0].count(engines[1], key) == 5


def test_concurrent_failed_logins_lock_out_exactly_at_every_limit(replicas):
    engines = replicas("portal")
    limiters = [LoginLimiter(e, per_user=5, per_address=1000, window=900, lock=900, clock=lambda: 5_000_000.0)
                for e in engines]
    user = f"target-{uuid.uuid4().hex[:8]}"
    start = threading.Barrier(10)
    locked: list[bool] = []

    def fail(i: int) -> None:
        start.wait()
        locked.append(limiters[i % 2].failed(user, None))

    threads = [threading.Thread(target=fail, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(locked) == [False] * 8 + [True] * 2  # the 5th and the 10th, whichever threads they were
    assert limiters[0].retry_after(user, None) == 900


def test_a_hit_in_an_open_transaction_holds_its_key_until_that_transaction_ends(replicas):
    engine_a, engine_b = replicas("intake")
    window = SlidingWindow(IntakeRateHit, Limit(1, 3600), scope="held", clock=lambda: 6_000_000.0)
    key = uuid.uuid4().hex
    answer: list[float | None] = []
    with Session(engine_a) as filing:  # a filing on replica A counted the phone and is still running
        assert window.hit(filing, key) is None
        other = threading.Thread(target=lambda: answer.append(window.hit(engine_b, key)))
        other.start()

        def waiting_on_the_key() -> bool:  # B's hit is queued on the key's advisory lock
            with engine_a.connect() as conn:
                return bool(conn.execute(text(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory'"
                    " and datname = current_database()")).scalar())

        eventually(waiting_on_the_key, timeout=60)
        assert answer == []
        filing.commit()
    other.join(timeout=60)
    assert answer == [pytest.approx(3600)]  # B counted after A's hit was committed, and was refused
    with Session(engine_a) as failed_filing:
        assert window.hit(failed_filing, "rolled-back-" + key) is None
        failed_filing.rollback()  # a use case that failed counts nothing
    assert window.count(engine_b, "rolled-back-" + key) == 0
