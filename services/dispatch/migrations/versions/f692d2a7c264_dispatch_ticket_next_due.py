"""dispatch_ticket.next_due: the earliest running stage deadline (时限, from StageDeadlineSet), for lists sorted by it

Revision ID: f692d2a7c264
Revises: d2a9f3c4e5b6
Create Date: 2026-11-27 09:00:00
"""
from libs.ticket.migrations import add_next_due, drop_next_due

revision = "f692d2a7c264"
down_revision = "d2a9f3c4e5b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_next_due("dispatch_ticket")


def downgrade() -> None:
    drop_next_due("dispatch_ticket")
