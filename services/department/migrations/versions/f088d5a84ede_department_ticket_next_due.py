"""department_ticket.next_due: the earliest running stage deadline (时限, from StageDeadlineSet), for lists sorted by it

Revision ID: f088d5a84ede
Revises: 189b0e31e6d5
Create Date: 2026-11-27 09:00:00
"""
from libs.ticket.migrations import add_next_due, drop_next_due

revision = "f088d5a84ede"
down_revision = "189b0e31e6d5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_next_due("department_ticket")


def downgrade() -> None:
    drop_next_due("department_ticket")
