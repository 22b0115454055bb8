"""dispatch: the directory versions admins publish (系统设置: reference data)

Revision ID: a7d3c9e1f2b4
Revises: f692d2a7c264
Create Date: 2026-11-27 09:40:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "a7d3c9e1f2b4"
down_revision = "f692d2a7c264"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatch_directory",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )


def downgrade() -> None:
    op.drop_table("dispatch_directory")
