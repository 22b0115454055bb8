"""intake: 分类建议 — the suggested category and its reason on the ticket; the admins' keyword rules per version

Revision ID: c4e1a7d2b901
Revises: b3f1d2c40311
Create Date: 2026-11-27 06:50:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "c4e1a7d2b901"
down_revision = "b3f1d2c40311"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("intake_ticket", sa.Column("suggested_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    op.add_column("intake_ticket", sa.Column("suggestion_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.create_table(
        "intake_category_rules",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )


def downgrade() -> None:
    op.drop_table("intake_category_rules")
    op.drop_column("intake_ticket", "suggestion_reason")
    op.drop_column("intake_ticket", "suggested_category")
