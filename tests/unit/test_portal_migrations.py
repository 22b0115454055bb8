"""The portal's Alembic migrations: one head; an empty database and one whose portal_user create_all made before the
portal had migrations both reach head with their accounts kept (verified, with a created_at), and come back down."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from libs.db import make_engine
from services.portal.users import MIGRATIONS_DIR, UserStore


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logging"] = False
    return cfg


def _columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("portal_user")}


def test_the_portal_has_one_head_that_upgrades_and_downgrades_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    cfg = _config(url)
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
    command.upgrade(cfg, "head")
    engine = sa.create_engine(url)
    assert {"phone_hash", "phone_masked", "verified", "created_at"} <= _columns(engine)
    command.downgrade(cfg, "base")
    assert not sa.inspect(engine).has_table("portal_user")
    command.upgrade(cfg, "head")
    assert sa.inspect(engine).has_table("portal_user")
    engine.dispose()


def test_a_portal_user_table_made_by_create_all_keeps_its_accounts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    engine = make_engine(url)
    legacy = sa.MetaData()
    table = sa.Table(  # the table exactly as create_all made it before the portal had migrations
        "portal_user", legacy,
        sa.Column("username", sa.String(60), primary_key=True),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("community_id", sa.String(40)),
        sa.Column("department_id", sa.String(40)),
        sa.Column("street_id", sa.String(40)),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    legacy.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert().values(
            username="old_resident", display_name="老居民", role="resident", community_id="xinran",
            password_hash="pbkdf2_sha256$1000$00$00", active=True,
        ))
    UserStore(engine).migrate()
    assert {"phone_hash", "verified", "created_at"} <= _columns(engine)
    kept = UserStore(engine).get("old_resident")
    assert kept is not None
    assert (kept.display_name, kept.verified, kept.phone_hash) == ("老居民", True, None)
    assert kept.created_at is not None
    UserStore(engine).migrate()  # at head already: nothing to do
    engine.dispose()
