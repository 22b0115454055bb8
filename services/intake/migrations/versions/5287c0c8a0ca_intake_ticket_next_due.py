"""intake_ticket.next_due: the earliest running stage deadline (时限, from StageDeadlineSet), for lists sorted by it

Revision ID: 5287c0c8a0ca
Revises: e7b3c9a41f60
Create Date: 2026-11-27 09:00:00
"""
from libs.ticket.migrations import add_next_due, drop_next_due

revision = "5287c0c8a0ca"
down_revision = "e7b3c9a41f60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_next_due("intake_ticket")


def downgrade() -> None:
    drop_next_due("intake_ticket")
