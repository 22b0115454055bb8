"""feedback_ticket: 回访 (callback) deadline and unanswered calls

Revision ID: 04355f5837dc
Revises: eb856a24fa5d
Create Date: 2026-11-27 09:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "04355f5837dc"
down_revision = "eb856a24fa5d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_ticket") as batch:
        batch.add_column(sa.Column("callback_due", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("callback_attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("feedback_ticket") as batch:
        batch.drop_column("callback_attempts")
        batch.drop_column("callback_due")
