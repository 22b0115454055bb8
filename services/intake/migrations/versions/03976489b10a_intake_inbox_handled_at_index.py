"""intake: index the inbox by handled_at, for the hourly purge of rows past the keep period

Revision ID: 03976489b10a
Revises: 53f1bc3be671
Create Date: 2026-11-27 15:00:00
"""
from libs.messaging.migrations import create_inbox_age_index, drop_inbox_age_index

revision = '03976489b10a'
down_revision = '53f1bc3be671'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_inbox_age_index()


def downgrade() -> None:
    drop_inbox_age_index()
