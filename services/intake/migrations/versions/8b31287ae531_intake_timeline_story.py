"""intake_timeline becomes the ticket's story: who did it (actor), who may read its note (visibility), the department
it is about and what the event carried (details). Lines already kept: a dispatch note, a return reason and a
supervisor's word on an extension become internal (the resident reads their headline only).

Revision ID: 8b31287ae531
Revises: 5287c0c8a0ca
Create Date: 2026-11-27 08:38:38
"""
import sqlalchemy as sa
from alembic import op

revision = "8b31287ae531"
down_revision = "5287c0c8a0ca"
branch_labels = None
depends_on = None

INTERNAL = ("TicketDispatched", "TicketReturned", "ExtensionGranted")


def upgrade() -> None:
    with op.batch_alter_table("intake_timeline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visibility", sa.String(length=10), server_default="public", nullable=False))
        batch_op.add_column(sa.Column("actor_role", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("actor_id", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("department_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("details", sa.JSON(), server_default="{}", nullable=False))
    timeline = sa.table("intake_timeline", sa.column("event_type", sa.String), sa.column("visibility", sa.String))
    op.execute(timeline.update().where(timeline.c.event_type.in_(INTERNAL)).values(visibility="internal"))


def downgrade() -> None:
    with op.batch_alter_table("intake_timeline", schema=None) as batch_op:
        batch_op.drop_column("details")
        batch_op.drop_column("department_id")
        batch_op.drop_column("actor_id")
        batch_op.drop_column("actor_role")
        batch_op.drop_column("visibility")
