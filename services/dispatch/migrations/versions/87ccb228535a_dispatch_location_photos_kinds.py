"""dispatch_ticket: coordinates, photos and 现场核实 from every channel; kinds 隐患随手拍, 咨询, 建议

Revision ID: 87ccb228535a
Revises: ef218ba103c0
Create Date: 2026-11-27 06:40:00
"""
from libs.ticket.migrations import add_location_and_photos, drop_location_and_photos

revision = "87ccb228535a"
down_revision = "ef218ba103c0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_location_and_photos("dispatch_ticket")


def downgrade() -> None:
    drop_location_and_photos("dispatch_ticket")
