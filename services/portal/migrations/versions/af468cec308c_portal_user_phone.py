"""portal: a resident account's mobile number (hash and masked), verified, created_at

Accounts that exist already (seeded or made with a password) are verified and get the time of the upgrade as their
created_at.

Revision ID: af468cec308c
Revises: f876dd9049c3
Create Date: 2026-11-27 09:15:00.000000
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'af468cec308c'
down_revision = 'f876dd9049c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('phone_masked', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('verified', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
    user = sa.table('portal_user', sa.column('created_at', sa.DateTime(timezone=True)))
    op.execute(user.update().where(user.c.created_at.is_(None)).values(created_at=datetime.now(timezone.utc)))
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('verified', existing_type=sa.Boolean(), server_default=None)
        batch_op.create_index(batch_op.f('ix_portal_user_phone_hash'), ['phone_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('portal_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_user_phone_hash'))
        batch_op.drop_column('created_at')
        batch_op.drop_column('verified')
        batch_op.drop_column('phone_masked')
        batch_op.drop_column('phone_hash')
