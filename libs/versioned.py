"""Admin documents published in versions (dispatch's SLA policy, intake's category keyword rules): each new version is
exactly the current one plus one, stored with who published it and announced on the `config` topic in the same
transaction. Free of FastAPI; the routes are `libs.runtime.documents`."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from libs.auth.principal import Principal
from libs.events import Actor
from libs.messaging import record_event
from libs.statemachine import DomainError

P = TypeVar("P")


def stored_public(public: Callable[..., P], row: Any) -> P:
    """The public view of a stored version (`source` "stored")."""
    return public(
        version=row.version, source="stored", document=row.document, published_by=row.published_by, published_at=row.published_at
    )


def publish_next_version(
    session: Session,
    *,
    principal: Principal,
    lock_id: int,
    current_version: Callable[[Session], int],
    accept: Callable[[int], tuple[int, dict[str, Any]]],
    table: Callable[..., Any],
    event: Callable[[Actor, int, dict[str, Any]], Any],
    public: Callable[..., P],
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> P:
    """Store the next version and record its event. `accept(current version)`: the new version and the document to
    store, or a DomainError (a bad document, a version that is not current + 1); `table(version=, document=,
    published_by=, published_at=)`: the row; `event(actor, version, document)`: the event; `lock_id`: the PostgreSQL
    advisory lock that serialises publishers (the version check and the insert see the same "current")."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(func.pg_advisory_xact_lock(lock_id)))
    version, document = accept(current_version(session))
    row = table(version=version, document=document, published_by=principal.sub, published_at=clock())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(f"version: {version} was published meanwhile; reload and try again") from None
    record_event(session, event(Actor(**principal.actor()), version, document))
    return stored_public(public, row)
