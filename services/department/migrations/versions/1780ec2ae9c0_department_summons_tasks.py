"""department_summons_task: 吹哨报到, one task per summoned department (check-in on site, completion)

Revision ID: 1780ec2ae9c0
Revises: f088d5a84ede
Create Date: 2026-11-27 09:06:33.821584
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = '1780ec2ae9c0'
down_revision = 'f088d5a84ede'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department_summons_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('summons_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('ticket_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('department_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('community_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('lead_department_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('co_department_ids', sa.JSON(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('joint_handling', sa.Boolean(), nullable=False),
    sa.Column('summoned_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('summoned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('on_site_due', sa.DateTime(timezone=True), nullable=False),
    sa.Column('task_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('warned', sa.Boolean(), nullable=False),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('check_in_latitude', sa.Float(), nullable=True),
    sa.Column('check_in_longitude', sa.Float(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('check_in_note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('completion_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('summons_id', 'department_id', name='uq_department_summons_task')
    )
    with op.batch_alter_table('department_summons_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_summons_task_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_summons_task_open'), ['open'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_summons_task_summons_id'), ['summons_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_summons_task_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    op.drop_table('department_summons_task')
