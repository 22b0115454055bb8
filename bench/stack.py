"""A throwaway Whistle stack for a benchmark: every process on free ports, on SQLite or a throwaway PostgreSQL."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def bench_stack(*, postgres: bool, prefix: str, env: Mapping[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Start the stack (and PostgreSQL if asked), yield its URLs, stop everything whatever happens."""
    from deploy.stack import Stack, random_ports

    pg = stack = None
    try:
        database_url = None
        if postgres:
            from deploy.postgres import TempPostgres

            pg = TempPostgres()
            database_url = pg.start()
        base = Path(tempfile.mkdtemp(prefix=prefix))
        print(f"starting the stack under {base} ...", flush=True)
        stack = Stack(base, ports=random_ports(), env_overrides=env, database_url=database_url).start()
        yield stack.urls
    finally:
        if stack:
            stack.stop()
        if pg:
            pg.stop()
