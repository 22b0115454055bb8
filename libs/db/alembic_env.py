"""Shared body of every service's Alembic env.py: online migrations against the configured URL."""
from __future__ import annotations

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel, create_engine


SHARED_TABLES = {"outbox", "inbox"}


def run(table_prefix: str) -> None:
    """Migrate only this service's tables (prefix) plus the outbox and inbox every service has."""

    def include_object(obj, name, type_, _reflected, _compare_to):  # noqa: ANN001, ANN202
        if type_ == "table":
            return name in SHARED_TABLES or name.startswith(table_prefix)
        return True

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=SQLModel.metadata, literal_binds=True, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
