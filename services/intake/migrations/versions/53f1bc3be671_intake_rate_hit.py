"""intake: intake_rate_hit, the abuse and follow-up limits' hits counted in the database so every replica shares them

Revision ID: 53f1bc3be671
Revises: 6c1e2f3a4b5d
Create Date: 2026-11-27 11:41:20.779778
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '53f1bc3be671'
down_revision = '6c1e2f3a4b5d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'intake_rate_hit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('expires', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_intake_rate_hit_expires'), 'intake_rate_hit', ['expires'], unique=False)
    op.create_index(op.f('ix_intake_rate_hit_key'), 'intake_rate_hit', ['key'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_intake_rate_hit_key'), table_name='intake_rate_hit')
    op.drop_index(op.f('ix_intake_rate_hit_expires'), table_name='intake_rate_hit')
    op.drop_table('intake_rate_hit')
