"""portal: the requesting address of each SMS code (portal_otp.client_hash), for the per-address limit

Revision ID: c3a9d5e7f021
Revises: b7f5b53285ba
Create Date: 2026-11-27 15:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'c3a9d5e7f021'
down_revision = 'b7f5b53285ba'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('portal_otp', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_portal_otp_client_hash'), ['client_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('portal_otp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_otp_client_hash'))
        batch_op.drop_column('client_hash')
