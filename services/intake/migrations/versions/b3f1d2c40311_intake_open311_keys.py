"""intake: Open311 api keys admins issue per client (only the key's SHA-256 is stored)

Revision ID: b3f1d2c40311
Revises: b7d41f0c2e95
Create Date: 2026-11-27 07:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "b3f1d2c40311"
down_revision = "b7d41f0c2e95"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_open311_key",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("client_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intake_open311_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_open311_key_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intake_open311_key_key_hash"), ["key_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("intake_open311_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_open311_key_key_hash"))
        batch_op.drop_index(batch_op.f("ix_intake_open311_key_client_id"))
    op.drop_table("intake_open311_key")
