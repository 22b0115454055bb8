"""libs/ratelimit on SQLite (the unit tests' database): the counts live in the database, so two limiters on one file
("two replicas") share them, a new limiter ("a restart") keeps a lockout, concurrent threads never get past the limit,
a hit inside the caller's transaction goes (or stays) with it, and old rows are purged. The PostgreSQL side is
tests/integration/test_ratelimit_shared.py. Every clock is injected: nothing here waits for time to pass."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from libs.db import make_engine
from libs.ratelimit import KEY_LENGTH, PURGE_GRACE, Limit, SlidingWindow, stored_key
from services.intake.abuse import AbuseSettings, IntakeRateHit, Limiter, RateLimited
from services.portal.login_limits import LoginLimiter, PortalRateHit, PortalRateLock

TABLES = [IntakeRateHit.__table__, PortalRateHit.__table__, PortalRateLock.__table__]


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine, tables=TABLES)
    engine.dispose()
    return url


def rows(engine, table) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_two_limiters_on_one_database_share_the_phone_count(db_url):
    now = [5000.0]
    replicas = [Limiter(AbuseSettings(rate_per_phone="3/3600", rate_per_ip="off")) for _ in range(2)]
    for limiter in replicas:
        limiter.per_phone.clock = lambda: now[0]
    engines = [make_engine(db_url), make_engine(db_url)]
    for i in range(3):  # A, B, A
        replicas[i % 2].check_phone(engines[i % 2], "hash-1")
    with pytest.raises(RateLimited) as refused:
        replicas[1].check_phone(engines[1], "hash-1")  # the 4th, on the replica that saw only one
    assert refused.value.retry_after == 3600 and refused.value.headers == {"Retry-After": "3600"}
    replicas[0].check_phone(engines[0], "hash-2")  # another phone has its own count


def test_a_lockout_outlives_the_limiter_that_set_it(db_url):
    now = [0.0]

    def portal() -> LoginLimiter:  # a portal process starting: a new engine and a new limiter
        return LoginLimiter(make_engine(db_url), per_user=3, per_address=50, window=900, lock=600, clock=lambda: now[0])

    first = portal()
    for _ in range(3):
        first.failed("Alice", "10.0.0.1")
    assert first.retry_after("alice", None) == 600
    now[0] = 100.0
    restarted = portal()
    assert restarted.retry_after(" ALICE ", "10.9.9.9") == 500  # the username is locked, from any address
    assert restarted.retry_after("bob", "10.0.0.1") is None  # the address is below its own limit
    now[0] = 600.0
    assert restarted.retry_after("alice", None) is None  # and the lock ends on time


def test_a_success_forgets_the_usernames_failures_for_every_replica(db_url):
    now = [0.0]
    a, b = (LoginLimiter(make_engine(db_url), per_user=3, per_address=50, window=900, lock=600, clock=lambda: now[0])
            for _ in range(2))
    a.failed("carol", None), b.failed("carol", None)
    b.succeeded("carol")
    a.failed("carol", None), b.failed("carol", None)
    assert a.retry_after("carol", None) is None
    a.failed("carol", None)
    assert b.retry_after("carol", None) == 600


def test_concurrent_hits_from_threads_never_get_past_the_limit(db_url):
    engine = make_engine(db_url)
    window = SlidingWindow(IntakeRateHit, Limit(5, 3600), scope="t", clock=lambda: 1000.0)
    start = threading.Barrier(6)
    allowed: list[bool] = []

    def hammer() -> None:
        start.wait()
        for _ in range(4):
            allowed.append(window.hit(engine, "shared") is None)

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert (allowed.count(True), len(allowed)) == (5, 24)
    assert window.count(engine, "shared") == 5


def test_a_hit_in_the_callers_transaction_goes_with_it(db_url):
    engine = make_engine(db_url)
    window = SlidingWindow(IntakeRateHit, Limit(1, 60), scope="t", clock=lambda: 10.0)
    with Session(engine) as session:
        assert window.hit(session, "k") is None
        session.rollback()  # the use case failed: its hit is gone
    with Session(engine) as session:
        session.add(IntakeRateHit(key="other", expires=5.0))
        session.flush()  # the transaction wrote already (holds the write lock) before the limiter counts
        with session.begin_nested():
            assert window.hit(session, "k") is None
        session.commit()
    assert window.hit(engine, "k") == pytest.approx(60)


def test_refund_takes_back_the_newest_live_hit(db_url):
    engine = make_engine(db_url)
    now = [0.0]
    window = SlidingWindow(IntakeRateHit, Limit(2, 60), scope="t", clock=lambda: now[0])
    window.hit(engine, "k")
    now[0] = 30.0
    window.hit(engine, "k")
    window.refund(engine, "k")  # the hit at 30 is taken back: the one at 0 stays
    assert window.count(engine, "k") == 1
    assert window.hit(engine, "k") is None
    assert window.hit(engine, "k") == pytest.approx(30)


def test_old_rows_are_purged_so_the_tables_stay_small(db_url):
    engine = make_engine(db_url)
    now = [0.0]
    window = SlidingWindow(IntakeRateHit, Limit(1, 10), scope="t", clock=lambda: now[0], purge_every=10)
    for i in range(9):
        window.hit(engine, f"address-{i}")
    assert rows(engine, IntakeRateHit) == 9
    now[0] = 10 + PURGE_GRACE + 1
    window.hit(engine, "address-9")  # the 10th hit purges what expired more than the grace ago
    assert rows(engine, IntakeRateHit) == 1
    limiter = LoginLimiter(engine, per_user=1, per_address=50, window=10, lock=10, clock=lambda: now[0])
    limiter.lockout._purge_locks.every = 1
    limiter.failed("dave", None)
    now[0] += 10 + PURGE_GRACE + 1
    limiter.failed("erin", None)
    with Session(engine) as session:
        assert list(session.execute(select(PortalRateLock.key)).scalars()) == [stored_key("login-user", "erin")]


def test_a_made_up_username_longer_than_the_column_is_stored_as_its_hash(db_url):
    limiter = LoginLimiter(make_engine(db_url), per_user=1, per_address=50, window=10, lock=10, clock=lambda: 0.0)
    name = "x" * 500
    limiter.failed(name, None)
    assert limiter.retry_after(name, None) == 10
    assert len(stored_key("login-user", name)) <= KEY_LENGTH
