"""dashboard_ticket.next_due: the earliest running stage deadline (时限, from StageDeadlineSet), for lists sorted by it

Revision ID: 3f4d04388368
Revises: 741e708d6fcd
Create Date: 2026-11-27 09:00:00
"""
from libs.ticket.migrations import add_next_due, drop_next_due

revision = "3f4d04388368"
down_revision = "741e708d6fcd"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_next_due("dashboard_ticket")


def downgrade() -> None:
    drop_next_due("dashboard_ticket")
