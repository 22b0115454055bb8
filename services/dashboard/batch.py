"""Apply many events in one transaction through the same handlers as the live consumer (the rebuild, bulk loads): the
inbox rows of the batch are inserted at once (an event already applied is skipped, as `apply_once` would), the tickets
the batch touches are read with one query, every per-day figure and status count is summed in memory
(`projection.bump_daily` / `bump_status` see the batch) and written once per row when the batch ends. The result equals
applying the events one by one (sums commute; each ticket's events keep their order)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timezone

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from libs.events import Envelope
from libs.messaging import Handlers
from libs.messaging.inbox import InboxEntry
from services.dashboard.models import DashboardCounter, DashboardDaily, DashboardTicket
from libs.ticket.view import TicketView
from services.dashboard.domain import TicketFacts
from services.dashboard.projection import BATCH, _insert, keep, project_event

CHUNK = 2000  # rows per multi-row statement


class Batch:
    """What one batch has summed and read so far (session.info[BATCH])."""

    def __init__(self) -> None:
        self.daily: dict[tuple[str, str, date], int] = defaultdict(int)
        self.counters: dict[tuple[str, str], int] = defaultdict(int)
        self.tickets: dict[str, DashboardTicket | None] = {}
        self.folded: dict[str, tuple[TicketFacts, TicketView]] = {}  # ticket -> its facts and fold so far
        self.updated: dict[str, datetime] = {}  # ticket -> its latest event's time

    def ticket(self, session: Session, ticket_id: str) -> DashboardTicket | None:
        if ticket_id not in self.tickets:
            self.tickets[ticket_id] = session.get(DashboardTicket, ticket_id)
        return self.tickets[ticket_id]

    def preload(self, session: Session, ids: Iterable[str]) -> None:
        """Read every ticket of the batch at once (absent ones are remembered as absent)."""
        wanted = sorted({i for i in ids if i not in self.tickets})
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            found = {t.id: t for t in session.exec(select(DashboardTicket).where(col(DashboardTicket.id).in_(chunk)))}
            for ticket_id in chunk:
                self.tickets[ticket_id] = found.get(ticket_id)

    def write_tickets(self, session: Session) -> None:
        """Every ticket folded in the batch onto its row (inserted or updated)."""
        for ticket_id, (facts, view) in self.folded.items():
            ticket = self.tickets[ticket_id]
            keep(ticket, facts, view, self.updated[ticket_id])  # type: ignore[arg-type]
            session.add(ticket)
        self.folded.clear()
        session.flush()

    def write(self, session: Session) -> None:
        """The tickets, then each summed figure once (upsert-add)."""
        self.write_tickets(session)
        insert = _insert(session)
        for table, key_columns, rows in (
            (DashboardDaily, ["scope", "metric", "day"], [{"scope": s, "metric": m, "day": d, "value": v} for (s, m, d), v in self.daily.items()]),
            (DashboardCounter, ["scope", "metric"], [{"scope": s, "metric": m, "value": v} for (s, m), v in self.counters.items()]),
        ):
            if rows and session.get_bind().dialect.name == "postgresql":
                _upsert_arrays(session, table.__tablename__, key_columns, rows)
            elif rows:  # one statement, compiled once, executed for every row (the driver pipelines them)
                stmt = insert(table.__table__)
                stmt = stmt.on_conflict_do_update(index_elements=key_columns, set_={"value": table.__table__.c.value + stmt.excluded.value})
                session.connection().execute(stmt, sorted(rows, key=lambda r: tuple(str(r[k]) for k in key_columns)))
        self.daily.clear()
        self.counters.clear()


ARRAY_TYPES = {"scope": "text[]", "metric": "text[]", "day": "date[]", "value": "bigint[]"}


def _upsert_arrays(session: Session, table: str, keys: list[str], rows: list[dict]) -> None:
    """PostgreSQL: every row in one statement, the columns sent as arrays (unnest), added to what is there."""
    columns = [*keys, "value"]
    arrays = ", ".join(f"CAST(:{c} AS {ARRAY_TYPES[c]})" for c in columns)
    session.execute(text(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "  # noqa: S608 - fixed names
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET value = {table}.value + EXCLUDED.value"
    ), {c: [r[c] for r in rows] for c in columns})


def _new_events(session: Session, consumer: str, events: Sequence[Envelope]) -> set[str]:
    """Insert the batch's inbox rows; the ids not applied before (a redelivered event's row is already there)."""
    now = datetime.now(timezone.utc)
    rows = {str(e.event_id): {"consumer": consumer, "event_id": str(e.event_id), "event_type": e.type, "handled_at": now} for e in events}
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":  # one statement, the ids as arrays
        return set(session.execute(text(
            "INSERT INTO inbox (consumer, event_id, event_type, handled_at) SELECT :consumer, e, t, :now "
            "FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[])) AS u(e, t) ON CONFLICT DO NOTHING RETURNING event_id"
        ), {"consumer": consumer, "now": now, "ids": list(rows), "types": [r["event_type"] for r in rows.values()]}).scalars())
    table = InboxEntry.__table__
    stmt = _insert(session)(table).on_conflict_do_nothing().returning(table.c.event_id)
    return set(session.connection().execute(stmt, list(rows.values())).scalars())


def apply_batch(engine: Engine, consumer: str, events: Sequence[Envelope], handlers: Handlers) -> dict[str, int]:
    """Apply `events` (in order) in one transaction; how many were applied, duplicates and without a handler."""
    counts = {"applied": 0, "duplicate": 0, "ignored": 0}
    with Session(engine, expire_on_commit=False) as session:
        fresh = _new_events(session, consumer, [e for e in events if type(e) in handlers])
        batch = session.info[BATCH] = Batch()
        batch.preload(session, (e.ticket_id for e in events if isinstance(getattr(e, "ticket_id", None), str)))
        later: list[tuple[Callable[[Session, Envelope], None], Envelope]] = []
        with session.no_autoflush:  # the tickets are the batch's own: nothing to read back before it ends
            for event in events:
                handler = handlers.get(type(event))
                if handler is None:
                    counts["ignored"] += 1
                elif str(event.event_id) not in fresh:
                    counts["duplicate"] += 1
                else:
                    counts["applied"] += 1
                    if handler is project_event or hasattr(handler, "then"):
                        project_event(session, event)
                    if handler is not project_event:
                        later.append((getattr(handler, "then", handler), event))
                fresh.discard(str(event.event_id))  # the same event twice in one batch is applied once
        batch.write_tickets(session)
        for handler, event in later:  # 吹哨报到, wishes, reports: their own rows, read back as they go (in order)
            handler(session, event)
        batch.write(session)
        session.commit()
    return counts
