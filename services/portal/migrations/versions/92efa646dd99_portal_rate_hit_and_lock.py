"""portal: portal_rate_hit and portal_rate_lock, failed logins and lockouts counted in the database so every replica
shares them and a restart keeps a lockout

Revision ID: 92efa646dd99
Revises: d5e1a2b3c4f6
Create Date: 2026-11-27 11:41:30.727544
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '92efa646dd99'
down_revision = 'd5e1a2b3c4f6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'portal_rate_hit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('expires', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_portal_rate_hit_expires'), 'portal_rate_hit', ['expires'], unique=False)
    op.create_index(op.f('ix_portal_rate_hit_key'), 'portal_rate_hit', ['key'], unique=False)
    op.create_table(
        'portal_rate_lock',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('until', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index(op.f('ix_portal_rate_lock_until'), 'portal_rate_lock', ['until'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_portal_rate_lock_until'), table_name='portal_rate_lock')
    op.drop_table('portal_rate_lock')
    op.drop_index(op.f('ix_portal_rate_hit_key'), table_name='portal_rate_hit')
    op.drop_index(op.f('ix_portal_rate_hit_expires'), table_name='portal_rate_hit')
    op.drop_table('portal_rate_hit')
