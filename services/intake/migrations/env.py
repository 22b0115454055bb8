import libs.messaging  # noqa: F401 - outbox and inbox tables
import services.intake.abuse  # noqa: F401 - intake_rate_hit, the shared rate-limit counts
import services.intake.channels.state  # noqa: F401 - WeChat and SMS messages, WeChat conversations
import services.intake.attachments  # noqa: F401 - intake_attachment, intake_attachment_link
import services.intake.models  # noqa: F401
import services.intake.privacy  # noqa: F401 - intake_contact, intake_contact_reveal
import services.intake.open311_keys  # noqa: F401 - Open311 api keys
from libs.db.alembic_env import run

run(table_prefix="intake_")
