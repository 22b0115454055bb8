"""Rate limits shared by every replica of a service: sliding-window hit counters and lock-until records kept in the
service's own database (PostgreSQL in production, SQLite in some tests), so N replicas allow the limit once, not N
times, and a restart forgets nothing.

Why hand-written: `limits` stores its counters in memory, Redis, Memcached, MongoDB or etcd, none of which the project
runs; pyrate-limiter's PostgresBucket brings its own psycopg pool, creates its tables outside Alembic, and neither it
nor `limits` has a lockout record or a "take that hit back". The services already have a database and migrations,
and this needs three statements per hit.

Tables: a service declares its own (prefix = the service's, so its Alembic env migrates them):

    class IntakeRateHit(RateHitBase, table=True):
        __tablename__ = "intake_rate_hit"

`RateHitBase` rows are single hits (key, expires = when the hit leaves its window); `RateLockBase` rows say until
when a key is locked out. A key is namespaced by the window's scope ("phone:<hash>", "login-user:alice").

Atomicity. Every operation runs in one transaction — the caller's Session (so a hit commits or rolls back with the
use case it guards), or its own on an Engine — and first serialises on the key:
- PostgreSQL: `pg_advisory_xact_lock(h)`, h = a 64-bit hash of table and key, held until that transaction ends. Two
  replicas hitting one key queue there; the second counts after the first committed (READ COMMITTED takes a new
  snapshot per statement), so count-then-insert never lets more than the limit through. Other keys do not wait. The
  lock needs no row, so a key's first hit is serialised too (a row lock would need a row to exist first).
- SQLite: one writer at a time for the whole file; the transaction is begun with BEGIN IMMEDIATE, or when the caller
  began it already, a write that matches no row takes the write lock before the count, so the count and the insert
  see no other writer in between.
Count and lock reads only look at live rows (expires > now), so expired rows never need deleting under the key lock.

Purging: every `purge_every`-th write in a process also deletes up to `PURGE_BATCH` rows that expired more than
`PURGE_GRACE` seconds ago (any key), on PostgreSQL with FOR UPDATE SKIP LOCKED so concurrent purges never wait on (or
deadlock with) each other; the grace keeps replicas with slightly different clocks from deleting a row another still
counts. The table thus holds the live hits plus at most a batch of old ones. `purge(db)` does it on demand.

Clock: wall-clock seconds (`time.time`, shared between machines, unlike a monotonic clock); injectable for tests."""
from __future__ import annotations

import hashlib
import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from libs.db import transaction

Clock = Callable[[], float]
Db = Session | Engine
KEY_LENGTH = 200
PURGE_EVERY = 100
PURGE_BATCH = 1000
PURGE_GRACE = 60.0


class RateHitBase(SQLModel):
    """One counted hit of `key`, live until `expires` (epoch seconds)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=KEY_LENGTH, index=True)
    expires: float = Field(index=True)


class RateLockBase(SQLModel):
    """`key` is locked out until `until` (epoch seconds)."""

    key: str = Field(primary_key=True, max_length=KEY_LENGTH)
    until: float = Field(index=True)


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: float

    @classmethod
    def parse(cls, spec: str) -> "Limit | None":
        """'10/3600' -> Limit(10, 3600); 'off' (or empty) -> None."""
        spec = spec.strip().lower()
        if spec in ("", "off", "none"):
            return None
        count, _, seconds = spec.partition("/")
        limit = cls(int(count), float(seconds or 60))
        if limit.count < 1 or limit.seconds <= 0:
            raise ValueError(f"rate limit {spec!r}: COUNT/SECONDS with both above zero, or 'off'")
        return limit


def stored_key(scope: str, key: str) -> str:
    """The row's key: scope and key, or their SHA-256 when longer than the column (a made-up username)."""
    full = f"{scope}:{key}"
    return full if len(full) <= KEY_LENGTH else f"{scope}:sha256:{hashlib.sha256(full.encode()).hexdigest()}"


@contextmanager
def unit_of_work(db: Db) -> Iterator[Session]:
    """The caller's Session as it is (it commits or rolls back with its use case), or one transaction on an Engine."""
    if isinstance(db, Session):
        yield db
        db.flush()
        return
    with transaction(db) as session:
        yield session


def serialize(session: Session, table: type[RateHitBase], keys: Iterable[str]) -> None:
    """Hold `keys` (of `table`) for the rest of the transaction: see the module's docstring."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        for key in sorted(set(keys)):  # one order for everyone: two keys never deadlock
            digest = hashlib.blake2b(f"ratelimit\0{table.__tablename__}\0{key}".encode(), digest_size=8).digest()
            session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest, "big", signed=True))))
    elif dialect == "sqlite":
        connection = session.connection()
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # begun by a write (the lock is held) or a SAVEPOINT (a write statement takes it now)
            session.execute(delete(table).where(table.key == "", table.expires < 0))


class _Purger:
    """Deletes long-expired rows of one table every `every`-th call of `tick` (counted per process)."""

    def __init__(self, every: int) -> None:
        self.every = max(1, every)
        self._calls = itertools.count(1)

    def tick(self, session: Session, table: type[SQLModel], column: str, now: float) -> int:
        return purge_rows(session, table, column, now) if next(self._calls) % self.every == 0 else 0


def purge_rows(session: Session, table: type[SQLModel], column: str, now: float) -> int:
    """Delete up to PURGE_BATCH rows whose `column` passed more than PURGE_GRACE seconds before `now`."""
    pk = next(iter(table.__table__.primary_key.columns))  # type: ignore[attr-defined]
    stale = (
        select(pk).where(getattr(table, column) <= now - PURGE_GRACE).limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
    )
    return session.execute(delete(table).where(pk.in_(stale.scalar_subquery()))).rowcount or 0


class SlidingWindow:
    """At most `limit.count` hits per key within any `limit.seconds`, counted in `table` (a RateHitBase table) for
    every process that uses it; `limit` None: every hit allowed, nothing stored."""

    def __init__(self, table: type[RateHitBase], limit: Limit | None, *, scope: str, clock: Clock = time.time,
                 purge_every: int = PURGE_EVERY) -> None:
        self.table, self.limit, self.scope, self.clock = table, limit, scope, clock
        self._purger = _Purger(purge_every)

    def _key(self, key: str) -> str:
        return stored_key(self.scope, key)

    def _live(self, session: Session, key: str, now: float) -> tuple[int, float | None]:
        row = session.execute(
            select(func.count(), func.min(self.table.expires)).where(self.table.key == key, self.table.expires > now)
        ).one()
        return int(row[0]), row[1]

    def hit(self, db: Db, key: str) -> float | None:
        """Count one hit; None when allowed, else the seconds until the oldest live hit leaves the window (and
        nothing is counted)."""
        if self.limit is None:
            return None
        stored = self._key(key)
        with unit_of_work(db) as session:
            serialize(session, self.table, [stored])
            now = self.clock()
            live, oldest = self._live(session, stored, now)
            if live >= self.limit.count and oldest is not None:
                return max(oldest - now, 0.001)
            session.add(self.table(key=stored, expires=now + self.limit.seconds))
            session.flush()
            self._purger.tick(session, self.table, "expires", now)
        return None

    def refund(self, db: Db, key: str) -> None:
        """Take back the newest live hit of `key` (an attempt that turned out not to count, e.g. a right answer)."""
        if self.limit is None:
            return
        stored = self._key(key)
        with unit_of_work(db) as session:
            serialize(session, self.table, [stored])
            newest = session.execute(
                select(self.table.id).where(self.table.key == stored, self.table.expires > self.clock())
                .order_by(self.table.expires.desc(), self.table.id.desc()).limit(1)  # type: ignore[union-attr]
            ).scalar()
            if newest is not None:
                session.execute(delete(self.table).where(self.table.id == newest))

    def count(self, db: Db, key: str) -> int:
        """Live hits of `key` (for tests and operators)."""
        with unit_of_work(db) as session:
            return self._live(session, self._key(key), self.clock())[0]


class Lockout:
    """Failures counted per key in a sliding window (`hits`, a RateHitBase table); the `limit.count`-th failure
    within `limit.seconds` locks the key out for `lock_seconds` (`locks`, a RateLockBase table) and starts its count
    afresh. Shared by every process on the database, and kept across restarts."""

    def __init__(self, hits: type[RateHitBase], locks: type[RateLockBase], *, clock: Clock = time.time,
                 purge_every: int = PURGE_EVERY) -> None:
        self.hits, self.locks, self.clock = hits, locks, clock
        self._purge_hits, self._purge_locks = _Purger(purge_every), _Purger(purge_every)

    def retry_after(self, db: Db, keys: Iterable[str]) -> int | None:
        """Whole seconds until every one of `keys` is free again, or None when none is locked out."""
        with unit_of_work(db) as session:
            now = self.clock()
            until = session.execute(
                select(func.max(self.locks.until))
                .where(self.locks.key.in_(list(keys)), self.locks.until > now)  # type: ignore[attr-defined]
            ).scalar()
        return math.ceil(until - now) if until is not None else None

    def fail(self, db: Db, limits: dict[str, Limit], lock_seconds: float) -> list[str]:
        """Count one failure for each key (key -> its limit); returns the keys this failure locked out."""
        locked: list[str] = []
        with unit_of_work(db) as session:
            serialize(session, self.hits, limits)
            now = self.clock()
            for key, limit in sorted(limits.items()):
                session.add(self.hits(key=key, expires=now + limit.seconds))
                session.flush()
                live = session.execute(
                    select(func.count()).where(self.hits.key == key, self.hits.expires > now)
                ).scalar_one()
                if live >= limit.count:
                    self._lock(session, key, now + lock_seconds)
                    self._forget(session, key, now)
                    locked.append(key)
            self._purge_hits.tick(session, self.hits, "expires", now)
            self._purge_locks.tick(session, self.locks, "until", now)
        return locked

    def forget(self, db: Db, key: str) -> None:
        """Clear the key's counted failures (a success); a lockout in force stays."""
        with unit_of_work(db) as session:
            serialize(session, self.hits, [key])
            self._forget(session, key, self.clock())

    def _forget(self, session: Session, key: str, now: float) -> None:
        session.execute(delete(self.hits).where(self.hits.key == key, self.hits.expires > now))

    def _lock(self, session: Session, key: str, until: float) -> None:
        """Insert or move forward the key's lock-until record (an upsert: one row per key)."""
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(session.get_bind().dialect.name)
        if insert is None:  # another database: the key lock taken by `fail` keeps the read-then-write safe
            session.merge(self.locks(key=key, until=until))
            return
        statement = insert(self.locks).values(key=key, until=until)
        session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"until": until}))
