"""Upgrading a service whose tickets predate the fold: every row gets a `fold` built from what it already held."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from libs.ticket.view import TicketView

ROOT = Path(__file__).resolve().parents[2]


def _config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logging"] = False
    return cfg


def _filler(column: sa.Column) -> object:
    """A value for a NOT NULL column the test does not care about."""
    kind = type(column.type)
    if issubclass(kind, sa.JSON):
        return []
    if issubclass(kind, (sa.Integer, sa.Float)):
        return 0
    if issubclass(kind, sa.Boolean):
        return False
    if issubclass(kind, sa.DateTime):
        return datetime(2026, 11, 20, tzinfo=timezone.utc)
    return "x"


OLD_ROWS = {
    "intake": {"status": "accepted", "escalation_level": 2},
    "dispatch": {
        "status": "returned", "escalation_level": 1, "escalation_stage": "dispatch", "warnings": {"dispatch": "2026-11-21T09:00:00+00:00"},
        "return_count": 2, "reopen_count": 0, "joint_handling": False, "suspended": True, "department_id": "urban",
    },
    "department": {
        "status": "accepted", "escalation_level": 1, "escalation_stage": "resolve", "warnings": {},
        "contacted_at": datetime(2026, 11, 20, tzinfo=timezone.utc), "department_id": "urban",
    },
    "dashboard": {"status": "merged", "escalation_level": 0},
}
EXPECTED = {
    "intake": TicketView(status="accepted", escalations={"contact": 2}),
    "dispatch": TicketView(
        status="returned", department_id="urban", warnings={"dispatch": "2026-11-21T09:00:00+00:00"},
        escalations={"dispatch": 1}, suspended=True, return_count=2,
    ),
    "department": TicketView(status="accepted", department_id="urban", escalations={"resolve": 1}, contacted=True),
    "dashboard": TicketView(status="merged"),
}


@pytest.mark.parametrize("service", sorted(OLD_ROWS))
def test_rows_from_before_the_fold_get_their_view(service, tmp_path):
    url = f"sqlite:///{tmp_path / service}.db"
    cfg = _config(service, url)
    script = ScriptDirectory.from_config(cfg)
    fold_revision = next(r for r in script.walk_revisions() if "ticket_view_fold" in (r.module.__file__ or ""))
    previous = fold_revision.down_revision
    command.upgrade(cfg, previous)
    engine = sa.create_engine(url)
    table = sa.Table(f"{service}_ticket", sa.MetaData(), autoload_with=engine)
    row = {c.name: _filler(c) for c in table.columns if not c.nullable and c.server_default is None}
    row.update(id="T20261120-OLD", **OLD_ROWS[service])
    with engine.begin() as conn:
        conn.execute(table.insert().values(**{k: v for k, v in row.items() if k in table.c}))
    command.upgrade(cfg, "head")
    table = sa.Table(f"{service}_ticket", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(table).where(table.c.id == "T20261120-OLD")).mappings().one()
    fold = stored["fold"] if isinstance(stored["fold"], dict) else json.loads(stored["fold"])
    expected = EXPECTED[service]
    assert TicketView.from_dict(fold) == expected
    command.downgrade(cfg, previous)  # and back: the columns the fold revision added go away
    assert "fold" not in {c["name"] for c in sa.inspect(engine).get_columns(f"{service}_ticket")}
    engine.dispose()


@pytest.mark.parametrize("service", ["intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify", "portal"])
def test_each_service_has_one_migration_head_that_upgrades_and_downgrades(service, tmp_path):
    """Two migrations written side by side (two heads) would leave a database half-upgraded."""
    cfg = _config(service, f"sqlite:///{tmp_path / service}.db")
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "-1")
    command.upgrade(cfg, "head")


def test_dashboard_tickets_get_what_they_counted_and_the_triage_queue_its_own_scope(tmp_path):
    url = f"sqlite:///{tmp_path / 'dashboard'}.db"
    cfg = _config("dashboard", url)
    command.upgrade(cfg, "955b02fa4760")
    engine = sa.create_engine(url)
    tickets = sa.Table("dashboard_ticket", sa.MetaData(), autoload_with=engine)
    counters = sa.Table("dashboard_counter", sa.MetaData(), autoload_with=engine)
    row = {c.name: _filler(c) for c in tickets.columns if not c.nullable and c.server_default is None}
    with engine.begin() as conn:
        conn.execute(tickets.insert().values(**{**row, "id": "T-OLD", "responded": True, "handled": False}))
        conn.execute(counters.insert().values(scope="community:street:changyang", metric="filed", value=3))
        conn.execute(counters.insert().values(scope="community:xinran", metric="filed", value=5))
    command.upgrade(cfg, "741e708d6fcd")
    with engine.connect() as conn:
        counted = conn.execute(sa.text("select counted from dashboard_ticket where id = 'T-OLD'")).scalar_one()
        scopes = dict(conn.execute(sa.text("select scope, value from dashboard_counter")).all())
    assert json.loads(counted) == {"filed": 1, "responded": 1}
    assert scopes == {"triage:changyang": 3, "community:xinran": 5}
    command.downgrade(cfg, "955b02fa4760")
    with engine.connect() as conn:
        assert dict(conn.execute(sa.text("select scope, value from dashboard_counter")).all()) == {
            "community:street:changyang": 3, "community:xinran": 5
        }
    engine.dispose()
