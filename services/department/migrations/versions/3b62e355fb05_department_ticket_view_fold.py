"""department_ticket: the folded ticket view (libs/ticket) and the columns derived from it

Revision ID: 3b62e355fb05
Revises: af3ed41cdf85
Create Date: 2026-11-27 06:30:00
"""
from libs.ticket.migrations import add_ticket_view_columns, drop_ticket_view_columns

revision = "3b62e355fb05"
ADDED = ('reopen_count', 'joint_handling', 'return_count', 'fold')
down_revision = "af3ed41cdf85"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_ticket_view_columns("department_ticket", ADDED)


def downgrade() -> None:
    drop_ticket_view_columns("department_ticket", ADDED)
