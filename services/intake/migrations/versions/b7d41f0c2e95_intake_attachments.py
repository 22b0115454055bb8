"""intake: uploaded photos (intake_attachment) and the tickets that name them (intake_attachment_link)

Revision ID: b7d41f0c2e95
Revises: 13f2660a1e34
Create Date: 2026-11-27 07:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "b7d41f0c2e95"
down_revision = "13f2660a1e34"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_attachment",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("uploader_role", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("blob_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("thumbnail_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_intake_attachment_uploaded_by"), "intake_attachment", ["uploaded_by"], unique=False)
    op.create_table(
        "intake_attachment_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("attachment_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "attachment_id", name="uq_intake_attachment_link"),
    )
    op.create_index(op.f("ix_intake_attachment_link_ticket_id"), "intake_attachment_link", ["ticket_id"], unique=False)
    op.create_index(
        op.f("ix_intake_attachment_link_attachment_id"), "intake_attachment_link", ["attachment_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_intake_attachment_link_attachment_id"), table_name="intake_attachment_link")
    op.drop_index(op.f("ix_intake_attachment_link_ticket_id"), table_name="intake_attachment_link")
    op.drop_table("intake_attachment_link")
    op.drop_index(op.f("ix_intake_attachment_uploaded_by"), table_name="intake_attachment")
    op.drop_table("intake_attachment")
