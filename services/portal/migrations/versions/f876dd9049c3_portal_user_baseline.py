"""portal: portal_user baseline

The table as `UserStore.create_table` (create_all) made it before the portal had migrations: created here on an
empty database, left as it is where create_all made it earlier.

Revision ID: f876dd9049c3
Revises:
Create Date: 2026-11-27 09:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'f876dd9049c3'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('portal_user'):
        return  # made by create_all before this migration existed: same columns
    op.create_table('portal_user',
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('community_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('department_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('street_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )


def downgrade() -> None:
    op.drop_table('portal_user')
