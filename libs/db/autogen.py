"""Write a service's next Alembic revision from its models: `python -m libs.db.autogen intake "message"`."""
from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

from libs.db import migrate


def main() -> None:
    service, message = sys.argv[1], sys.argv[2]
    importlib.import_module(f"services.{service}.models")
    migrations = Path(__file__).resolve().parents[2] / "services" / service / "migrations"
    workdir = Path(tempfile.mkdtemp())
    url = f"sqlite:///{workdir / 'autogen.db'}"
    migrate(url, migrations)
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.set_main_option("sqlalchemy.url", url)
    command.revision(cfg, message=message, autogenerate=True)
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
