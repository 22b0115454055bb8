"""notify: index the inbox by handled_at, for the hourly purge of rows past the keep period

Revision ID: 12cd5bfb34a8
Revises: 7f1b28402338
Create Date: 2026-11-27 15:00:00
"""
from libs.messaging.migrations import create_inbox_age_index, drop_inbox_age_index

revision = '12cd5bfb34a8'
down_revision = '7f1b28402338'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_inbox_age_index()


def downgrade() -> None:
    drop_inbox_age_index()
