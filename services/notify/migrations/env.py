import libs.messaging  # noqa: F401 - outbox and inbox tables
import services.notify.models  # noqa: F401
from libs.db.alembic_env import run

run(table_prefix="notify_")
