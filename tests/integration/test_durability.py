"""Durability settings (issue 13, item 8) and the backup/restore drill of docs/operations.md.

The session's test cluster runs with fsync, synchronous_commit and full_page_writes off (fast, lossy on a crash): a
process refuses to start on it with WHISTLE_ENV=production and warns otherwise. A cluster with production settings
(`TempPostgres(durable=True)`, what the chaos suite runs) passes. The drill dumps one service database with
pg_dump -Fc, restores it into a new database with pg_restore and finds every row and the schema version there.
"""
from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from deploy.postgres import TempPostgres, find_bindir, to_libpq
from libs.db import ensure_database, make_engine, migrate
from libs.db.durability import DurabilityError, check_durability, durability_problems
from libs.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def durable_postgres():
    pg = TempPostgres(durable=True)
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()


def test_the_fast_test_cluster_is_refused_in_production_and_warned_about_elsewhere(postgres_url, capsys):
    engine = make_engine(postgres_url)
    try:
        assert durability_problems(engine) == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        with pytest.raises(DurabilityError) as refused:
            check_durability(engine, "production", "intake")
        message = str(refused.value)
        assert "fsync=off" in message and "synchronous_commit=off" in message and "docs/operations.md" in message
        assert check_durability(engine, "development", "intake") == durability_problems(engine)
    finally:
        engine.dispose()
    assert "database_durability_off" in capsys.readouterr().out


def test_a_service_refuses_to_start_in_production_on_the_fast_cluster(postgres_url):
    from services.feedback.app import create_app

    base, _, name = postgres_url.rpartition("/")
    settings = Settings(
        env="production", jwt_secret="x" * 40, database_url=f"{base}/{name}_dur{uuid.uuid4().hex[:6]}",
        kafka_bootstrap="127.0.0.1:1",  # never reached: the check comes first
    )
    with pytest.raises(DurabilityError, match="refusing to start with WHISTLE_ENV=production"):
        with TestClient(create_app(settings)):
            pass


def test_a_cluster_with_production_settings_passes(durable_postgres):
    engine = make_engine(durable_postgres.url)
    try:
        assert durability_problems(engine) == {}
        assert check_durability(engine, "production", "intake") == {}
    finally:
        engine.dispose()


def test_restore_drill_pg_dump_and_pg_restore_of_one_service_database(durable_postgres, tmp_path):
    """docs/operations.md, 'Restore drill': dump the feedback database, restore it as a new one, compare."""
    bindir = find_bindir()
    assert bindir is not None
    base = durable_postgres.url.rsplit("/", 1)[0]
    source, restored = f"{base}/drill_feedback", f"{base}/drill_feedback_restored"
    migrate(source, REPO / "services" / "feedback" / "migrations")
    engine = make_engine(source)
    with engine.begin() as conn:
        for n in range(50):
            conn.execute(
                text("insert into inbox (consumer, event_id, event_type, handled_at) values ('feedback', :id, 'TicketFiled', now())"),
                {"id": str(uuid.uuid4())},
            )
    tables = ["inbox", "outbox", "alembic_version"]

    def snapshot(url: str) -> dict[str, object]:
        eng = make_engine(url)
        try:
            with eng.connect() as conn:
                counts = {t: conn.execute(text(f"select count(*) from {t}")).scalar() for t in tables}
                ids = sorted(conn.execute(text("select event_id from inbox")).scalars())
                version = conn.execute(text("select version_num from alembic_version")).scalar()
                names = sorted(conn.execute(text(
                    "select table_name from information_schema.tables where table_schema = 'public'")).scalars())
            return {"counts": counts, "ids": ids, "version": version, "tables": names}
        finally:
            eng.dispose()

    before = snapshot(source)
    engine.dispose()
    dump = tmp_path / "feedback.dump"
    subprocess.run([str(bindir / "pg_dump"), "--format=custom", f"--file={dump}", to_libpq(source)], check=True)
    ensure_database(restored)
    subprocess.run([str(bindir / "pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={to_libpq(restored)}", str(dump)],
                   check=True)
    after = snapshot(restored)
    assert after == before
    assert before["counts"]["inbox"] == 50 and before["version"]
