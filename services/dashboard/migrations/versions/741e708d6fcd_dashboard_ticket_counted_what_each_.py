"""dashboard_ticket.counted: what each ticket added to its scopes; the triage queue's counters under triage:<street>

Revision ID: 741e708d6fcd
Revises: 955b02fa4760
Create Date: 2026-11-27 08:50:00

Backfill: a ticket's `counted` is rebuilt from what the row knows (filed, responded, handled); the counts of events
before this revision (returns, warnings, ratings) are not per ticket, so a ticket recategorized later moves only
those. Counters of the street's triage queue move from `community:street:<id>` to `triage:<id>`.
"""

import sqlalchemy as sa
from alembic import op

revision = "741e708d6fcd"
down_revision = "955b02fa4760"
branch_labels = None
depends_on = None

TICKETS = sa.table(
    "dashboard_ticket", sa.column("id", sa.String), sa.column("responded", sa.Boolean), sa.column("handled", sa.Boolean),
    sa.column("counted", sa.JSON),
)
COUNTERS = sa.table("dashboard_counter", sa.column("scope", sa.String))
TRIAGE_OLD, TRIAGE_NEW = "community:street:", "triage:"


def upgrade() -> None:
    with op.batch_alter_table("dashboard_ticket") as batch:
        batch.add_column(sa.Column("counted", sa.JSON(), nullable=True))
    bind = op.get_bind()
    for ticket_id, responded, handled in bind.execute(sa.select(TICKETS.c.id, TICKETS.c.responded, TICKETS.c.handled)):
        counted = {"filed": 1} | ({"responded": 1} if responded else {}) | ({"handled": 1} if handled else {})
        bind.execute(TICKETS.update().where(TICKETS.c.id == ticket_id).values(counted=counted))
    _rename_scopes(TRIAGE_OLD, TRIAGE_NEW)


def downgrade() -> None:
    _rename_scopes(TRIAGE_NEW, TRIAGE_OLD)
    with op.batch_alter_table("dashboard_ticket") as batch:
        batch.drop_column("counted")


def _rename_scopes(old: str, new: str) -> None:
    op.execute(
        COUNTERS.update()
        .where(COUNTERS.c.scope.startswith(old))
        .values(scope=sa.literal(new) + sa.func.substr(COUNTERS.c.scope, len(old) + 1))
    )


