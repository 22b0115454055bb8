"""department: index the inbox by handled_at, for the hourly purge of rows past the keep period

Revision ID: 9412e9733052
Revises: 1780ec2ae9c0
Create Date: 2026-11-27 15:00:00
"""
from libs.messaging.migrations import create_inbox_age_index, drop_inbox_age_index

revision = '9412e9733052'
down_revision = '1780ec2ae9c0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_inbox_age_index()


def downgrade() -> None:
    drop_inbox_age_index()
