import libs.messaging  # noqa: F401 - outbox and inbox tables
import services.dashboard.models  # noqa: F401
import services.dashboard.weights  # noqa: F401 - dashboard_weights
import services.dashboard.summons  # noqa: F401 - dashboard_summons_department (吹哨报到)
import services.dashboard.wishes  # noqa: F401 - dashboard_wish, dashboard_wish_volunteer_day (微心愿)
from libs.db.alembic_env import run

run(table_prefix="dashboard_")
