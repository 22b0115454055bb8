"""department_ticket: coordinates, photos and 现场核实 from every channel; kinds 隐患随手拍, 咨询, 建议

Revision ID: 189b0e31e6d5
Revises: 3b62e355fb05
Create Date: 2026-11-27 06:40:00
"""
from libs.ticket.migrations import add_location_and_photos, drop_location_and_photos

revision = "189b0e31e6d5"
down_revision = "3b62e355fb05"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_location_and_photos("department_ticket")


def downgrade() -> None:
    drop_location_and_photos("department_ticket")
