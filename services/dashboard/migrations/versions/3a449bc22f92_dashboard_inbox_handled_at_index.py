"""dashboard: index the inbox by handled_at, for the hourly purge of rows past the keep period

Revision ID: 3a449bc22f92
Revises: 2cf9dbd896dd
Create Date: 2026-11-27 15:00:00
"""
from libs.messaging.migrations import create_inbox_age_index, drop_inbox_age_index

revision = '3a449bc22f92'
down_revision = '2cf9dbd896dd'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_inbox_age_index()


def downgrade() -> None:
    drop_inbox_age_index()
