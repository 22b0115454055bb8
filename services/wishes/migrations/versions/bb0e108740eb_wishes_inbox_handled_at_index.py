"""wishes: index the inbox by handled_at, for the hourly purge of rows past the keep period

Revision ID: bb0e108740eb
Revises: 493b1f89e397
Create Date: 2026-11-27 15:00:00
"""
from libs.messaging.migrations import create_inbox_age_index, drop_inbox_age_index

revision = 'bb0e108740eb'
down_revision = '493b1f89e397'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_inbox_age_index()


def downgrade() -> None:
    drop_inbox_age_index()
