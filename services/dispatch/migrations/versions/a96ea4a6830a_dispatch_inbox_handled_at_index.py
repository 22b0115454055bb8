"""dispatch: index the inbox by handled_at, for the hourly purge of rows past the keep period

Revision ID: a96ea4a6830a
Revises: a7d3c9e1f2b4
Create Date: 2026-11-27 15:00:00
"""
from libs.messaging.migrations import create_inbox_age_index, drop_inbox_age_index

revision = 'a96ea4a6830a'
down_revision = 'a7d3c9e1f2b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_inbox_age_index()


def downgrade() -> None:
    drop_inbox_age_index()
