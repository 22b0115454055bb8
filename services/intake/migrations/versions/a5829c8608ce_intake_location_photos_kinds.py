"""intake_ticket: coordinates, photos and 现场核实 from every channel; kinds 隐患随手拍, 咨询, 建议

Revision ID: a5829c8608ce
Revises: 5d2123d2050f
Create Date: 2026-11-27 06:40:00
"""
from libs.ticket.migrations import add_location_and_photos, drop_location_and_photos

revision = "a5829c8608ce"
down_revision = "5d2123d2050f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_location_and_photos("intake_ticket", summary_columns=False)


def downgrade() -> None:
    drop_location_and_photos("intake_ticket", summary_columns=False)
