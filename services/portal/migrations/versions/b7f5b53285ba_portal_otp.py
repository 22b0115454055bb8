"""portal: one-time SMS codes (portal_otp)

Revision ID: b7f5b53285ba
Revises: b10b6410fe4f
Create Date: 2026-11-27 09:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'b7f5b53285ba'
down_revision = 'b10b6410fe4f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portal_otp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('portal_otp', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_otp_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_otp_sent_at'), ['sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('portal_otp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_otp_sent_at'))
        batch_op.drop_index(batch_op.f('ix_portal_otp_phone_hash'))
    op.drop_table('portal_otp')
