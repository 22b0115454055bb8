import libs.messaging  # noqa: F401 - outbox and inbox tables
import services.wishes.catalogue  # noqa: F401
import services.wishes.hazards  # noqa: F401
import services.wishes.ledger  # noqa: F401
import services.wishes.models  # noqa: F401
import services.wishes.projects  # noqa: F401
import services.wishes.rules  # noqa: F401
import services.wishes.stats  # noqa: F401
from libs.db.alembic_env import run

run(table_prefix="wishes_")
