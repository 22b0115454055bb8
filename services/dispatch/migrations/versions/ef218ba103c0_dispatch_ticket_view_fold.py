"""dispatch_ticket: the folded ticket view (libs/ticket) and the columns derived from it

Revision ID: ef218ba103c0
Revises: 8fdbdef63769
Create Date: 2026-11-27 06:30:00
"""
from libs.ticket.migrations import add_ticket_view_columns, drop_ticket_view_columns

revision = "ef218ba103c0"
ADDED = ('fold',)
down_revision = "8fdbdef63769"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_ticket_view_columns("dispatch_ticket", ADDED)


def downgrade() -> None:
    drop_ticket_view_columns("dispatch_ticket", ADDED)
