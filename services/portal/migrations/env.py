import services.portal.models  # noqa: F401
from libs.db.alembic_env import run

run(table_prefix="portal_")
