"""dispatch: 分类建议 on the ticket (suggested category and reason); 疑似重复 links between open tickets

Revision ID: d2a9f3c4e5b6
Revises: 87ccb228535a
Create Date: 2026-11-27 07:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "d2a9f3c4e5b6"
down_revision = "87ccb228535a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dispatch_ticket", sa.Column("suggested_category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    op.add_column("dispatch_ticket", sa.Column("suggestion_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    op.create_table(
        "dispatch_duplicate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("candidate_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("hours_apart", sa.Float(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "candidate_id", name="uq_dispatch_duplicate"),
    )
    op.create_index(op.f("ix_dispatch_duplicate_ticket_id"), "dispatch_duplicate", ["ticket_id"], unique=False)
    op.create_index(op.f("ix_dispatch_duplicate_candidate_id"), "dispatch_duplicate", ["candidate_id"], unique=False)
    # The duplicate search: open tickets of one community and category (then a bounding box and a time window).
    op.create_index("ix_dispatch_ticket_community_category", "dispatch_ticket", ["community_id", "category"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dispatch_ticket_community_category", table_name="dispatch_ticket")
    op.drop_index(op.f("ix_dispatch_duplicate_candidate_id"), table_name="dispatch_duplicate")
    op.drop_index(op.f("ix_dispatch_duplicate_ticket_id"), table_name="dispatch_duplicate")
    op.drop_table("dispatch_duplicate")
    op.drop_column("dispatch_ticket", "suggestion_reason")
    op.drop_column("dispatch_ticket", "suggested_category")
