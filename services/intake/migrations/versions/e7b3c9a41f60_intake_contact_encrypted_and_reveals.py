"""intake_contact (the reporter's name and phone encrypted, the phone's keyed hash) and intake_contact_reveal (who
saw a number, when)

Revision ID: e7b3c9a41f60
Revises: c4e1a7d2b901
Create Date: 2026-11-27 06:50:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "e7b3c9a41f60"
down_revision = "c4e1a7d2b901"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_contact",
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=True),
        sa.Column("name_encrypted", sa.Text(), nullable=True),
        sa.Column("phone_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_index(op.f("ix_intake_contact_phone_hash"), "intake_contact", ["phone_hash"], unique=False)
    op.create_table(
        "intake_contact_reveal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("actor_scope", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_intake_contact_reveal_ticket_id"), "intake_contact_reveal", ["ticket_id"], unique=False)
    op.create_index(op.f("ix_intake_contact_reveal_actor_id"), "intake_contact_reveal", ["actor_id"], unique=False)
    op.create_index(op.f("ix_intake_contact_reveal_revealed_at"), "intake_contact_reveal", ["revealed_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_intake_contact_reveal_revealed_at"), table_name="intake_contact_reveal")
    op.drop_index(op.f("ix_intake_contact_reveal_actor_id"), table_name="intake_contact_reveal")
    op.drop_index(op.f("ix_intake_contact_reveal_ticket_id"), table_name="intake_contact_reveal")
    op.drop_table("intake_contact_reveal")
    op.drop_index(op.f("ix_intake_contact_phone_hash"), table_name="intake_contact")
    op.drop_table("intake_contact")
