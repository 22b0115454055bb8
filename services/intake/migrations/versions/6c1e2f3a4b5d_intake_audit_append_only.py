"""intake: intake_audit, every action on a ticket, append-only (the database refuses UPDATE and DELETE)

Revision ID: 6c1e2f3a4b5d
Revises: 8b31287ae531
Create Date: 2026-11-27 10:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "6c1e2f3a4b5d"
down_revision = "8b31287ae531"
branch_labels = None
depends_on = None

MESSAGE = "intake_audit is append-only"


def upgrade() -> None:
    op.create_table(
        "intake_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("ticket_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("event_type", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(op.f("ix_intake_audit_ticket_id"), "intake_audit", ["ticket_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION intake_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$;
        """)
        op.execute("""CREATE TRIGGER intake_audit_no_change BEFORE UPDATE OR DELETE ON intake_audit
                      FOR EACH ROW EXECUTE FUNCTION intake_audit_append_only()""")
        op.execute("""CREATE TRIGGER intake_audit_no_truncate BEFORE TRUNCATE ON intake_audit
                      FOR EACH STATEMENT EXECUTE FUNCTION intake_audit_append_only()""")
    else:  # SQLite (make run's default)
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER intake_audit_no_{verb.lower()} BEFORE {verb} ON intake_audit
                           BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS intake_audit_no_truncate ON intake_audit")
        op.execute("DROP TRIGGER IF EXISTS intake_audit_no_change ON intake_audit")
        op.execute("DROP FUNCTION IF EXISTS intake_audit_append_only()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS intake_audit_no_{verb}")
    op.drop_index(op.f("ix_intake_audit_ticket_id"), table_name="intake_audit")
    op.drop_table("intake_audit")
