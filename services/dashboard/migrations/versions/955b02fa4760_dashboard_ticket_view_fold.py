"""dashboard_ticket: the folded ticket view (libs/ticket) and the columns derived from it

Revision ID: 955b02fa4760
Revises: 4da92fe07f25
Create Date: 2026-11-27 06:30:00
"""
from libs.ticket.migrations import add_ticket_view_columns, drop_ticket_view_columns

revision = "955b02fa4760"
ADDED = ('escalation_stage', 'warnings', 'merged_into', 'suspended', 'reopen_count', 'joint_handling', 'return_count', 'fold')
down_revision = "4da92fe07f25"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_ticket_view_columns("dashboard_ticket", ADDED)


def downgrade() -> None:
    drop_ticket_view_columns("dashboard_ticket", ADDED)
