"""审计 on SQLite (make run's default database): the migration's triggers refuse UPDATE and DELETE of audit lines, and
every ticket event class is audited by intake's consumer."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from libs.db import make_engine, migrate
from services.intake.app import create_app
from services.intake.audit import ticket_event_classes

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "intake" / "migrations"


def test_sqlite_refuses_to_change_or_remove_an_audit_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    migrate(url, MIGRATIONS)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO intake_audit (event_id, ticket_id, event_type, occurred_at, actor_role, actor_id, payload, recorded_at) "
            "VALUES ('e1', 'T1', 'TicketFiled', '2026-11-27 00:00:00', 'resident', 'r1', '{}', '2026-11-27 00:00:00')"
        ))
    for statement in ("UPDATE intake_audit SET actor_id = 'x'", "DELETE FROM intake_audit"):
        with pytest.raises(sa.exc.DBAPIError) as refused, engine.begin() as conn:
            conn.execute(sa.text(statement))
        assert "append-only" in str(refused.value)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT actor_id FROM intake_audit")).scalars().all() == ["r1"]


def test_every_ticket_event_has_an_audit_handler() -> None:
    handlers = create_app().state.runtime.handlers
    classes = ticket_event_classes()
    assert {"TicketFiled", "TicketDispatched", "TicketEscalated", "TicketNoteAdded", "DepartmentsSummoned"} <= {c.__name__ for c in classes}
    assert all(cls in handlers for cls in classes)
