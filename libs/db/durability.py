"""Checked once when a process starts: is the database keeping what it acknowledges?

With `fsync=off` or `synchronous_commit=off` PostgreSQL answers COMMIT before the change is on disk: a kill -9 or a
power cut then loses transactions the service already acknowledged (a 201 for a filing whose row is gone, while its
event is already on Kafka). That is fine for throwaway test clusters and fatal in production, so a process refuses to
start on such a server when WHISTLE_ENV=production and logs a warning otherwise. SQLite files (the zero-setup default
of `make run`) are not checked. docs/operations.md lists the production settings.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from libs.observability import get_logger

log = get_logger(__name__)

# setting -> the value that breaks durability (anything else is safe: on, local, remote_write, remote_apply)
UNSAFE_SETTINGS: dict[str, str] = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class DurabilityError(RuntimeError):
    """The database would lose acknowledged commits, and this is production."""


def durability_problems(engine: Engine) -> dict[str, str]:
    """{setting: value} of every durability setting switched off on this connection (empty for SQLite)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        values = {name: str(conn.execute(text(f"SHOW {name}")).scalar()) for name in UNSAFE_SETTINGS}
    return {name: value for name, value in values.items() if value.lower() == UNSAFE_SETTINGS[name]}


def check_durability(engine: Engine, env: str, service: str) -> dict[str, str]:
    """Raise DurabilityError in production when a durability setting is off; warn (and return them) otherwise."""
    problems = durability_problems(engine)
    if not problems:
        return problems
    listed = ", ".join(f"{name}={value}" for name, value in sorted(problems.items()))
    if env == "production":
        raise DurabilityError(
            f"{service}: refusing to start with WHISTLE_ENV=production on a PostgreSQL server with {listed}: "
            "acknowledged requests would be lost if the server crashed. Set fsync=on, synchronous_commit=on "
            "(or local/remote_write/remote_apply) and full_page_writes=on (see docs/operations.md)."
        )
    log.warning("database_durability_off", settings=problems, env=env,
                note="acknowledged commits can be lost on a crash; never use these settings in production")
    return problems
