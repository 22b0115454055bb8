"""portal: portal_user_audit, one line per change an admin makes to an account (系统设置 · 用户与权限)

Revision ID: d5e1a2b3c4f6
Revises: c3a9d5e7f021
Create Date: 2026-11-27 09:50:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'd5e1a2b3c4f6'
down_revision = 'c3a9d5e7f021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'portal_user_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_portal_user_audit_username'), 'portal_user_audit', ['username'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_portal_user_audit_username'), table_name='portal_user_audit')
    op.drop_table('portal_user_audit')
