"""feedback: index the inbox by handled_at, for the hourly purge of rows past the keep period

Revision ID: 501d31be8317
Revises: 04355f5837dc
Create Date: 2026-11-27 15:00:00
"""
from libs.messaging.migrations import create_inbox_age_index, drop_inbox_age_index

revision = '501d31be8317'
down_revision = '04355f5837dc'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_inbox_age_index()


def downgrade() -> None:
    drop_inbox_age_index()
