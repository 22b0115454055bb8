"""intake_ticket: the folded ticket view (libs/ticket) and the columns derived from it

Revision ID: 5d2123d2050f
Revises: cdb9e252f9dc
Create Date: 2026-11-27 06:30:00
"""
from libs.ticket.migrations import add_ticket_view_columns, drop_ticket_view_columns

revision = "5d2123d2050f"
ADDED = ('escalation_stage', 'warnings', 'merged_into', 'suspended', 'reopen_count', 'joint_handling', 'return_count', 'fold')
down_revision = "cdb9e252f9dc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_ticket_view_columns("intake_ticket", ADDED)


def downgrade() -> None:
    drop_ticket_view_columns("intake_ticket", ADDED)
