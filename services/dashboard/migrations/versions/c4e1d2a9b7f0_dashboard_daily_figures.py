"""dashboard: figures per Beijing day (dashboard_daily) instead of all-time counters; the ticket's grid, channel, kind,
place, overdue flag and facts (per-department dispatches); score weights; topics of the month

Revision ID: c4e1d2a9b7f0
Revises: 3f4d04388368
Create Date: 2026-11-27 12:00:00

Backfill: every ticket's `counted` figures go onto the Beijing day it was filed, in the scopes the row knows (all, its
community or the triage queue, its category; channel and kind `unknown`), and dashboard_counter keeps only the status
counts. What the old counters never knew per ticket (department figures per dispatch, grids, channels, kinds, places) is
recomputed by a rebuild from the topics: `python -m services.dashboard.rebuild` (see docs/architecture.md).
Downgrade sums the daily rows back into all-time counters.
"""
import json
from collections import defaultdict
from datetime import timedelta, timezone

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "c4e1d2a9b7f0"
down_revision = "3f4d04388368"
branch_labels = None
depends_on = None

BEIJING = timezone(timedelta(hours=8))
TICKETS = sa.table(
    "dashboard_ticket", sa.column("id", sa.String), sa.column("community_id", sa.String), sa.column("category", sa.String),
    sa.column("counted", sa.JSON), sa.column("filed_at", sa.DateTime(timezone=True)), sa.column("channel", sa.String),
    sa.column("kind", sa.String),
)
COUNTERS = sa.table("dashboard_counter", sa.column("scope", sa.String), sa.column("metric", sa.String), sa.column("value", sa.BigInteger))
DAILY = sa.table("dashboard_daily", sa.column("scope", sa.String), sa.column("metric", sa.String), sa.column("day", sa.Date),
                 sa.column("value", sa.BigInteger))
STR = sqlmodel.sql.sqltypes.AutoString


def _community_scope(community_id: str) -> str:
    if community_id.startswith("street:"):
        return "triage:" + community_id.removeprefix("street:")
    return f"community:{community_id}"


def upgrade() -> None:
    op.create_table(
        "dashboard_daily",
        sa.Column("scope", STR(length=80), nullable=False), sa.Column("metric", STR(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False), sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "metric", "day"),
    )
    op.create_index("ix_dashboard_daily_day", "dashboard_daily", ["day"])
    op.create_table(
        "dashboard_weights",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False), sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("published_by", STR(length=80), nullable=False), sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "dashboard_topic",
        sa.Column("id", STR(length=40), nullable=False), sa.Column("month", STR(length=7), nullable=False),
        sa.Column("title", STR(length=80), nullable=False), sa.Column("scope", STR(length=80), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False), sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False), sa.Column("status", STR(length=10), nullable=False),
        sa.Column("note", STR(length=500), nullable=True), sa.Column("created_by", STR(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False), sa.Column("closed_by", STR(length=80), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True), sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dashboard_topic_month", "dashboard_topic", ["month"])
    with op.batch_alter_table("dashboard_ticket") as batch:
        batch.add_column(sa.Column("grid_id", STR(length=40), nullable=True))
        batch.add_column(sa.Column("channel", STR(length=20), nullable=False, server_default="unknown"))
        batch.add_column(sa.Column("kind", STR(length=20), nullable=False, server_default="unknown"))
        batch.add_column(sa.Column("place", STR(length=60), nullable=True))
        batch.add_column(sa.Column("overdue", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))
        batch.create_index("ix_dashboard_ticket_grid_id", ["grid_id"])
        batch.create_index("ix_dashboard_ticket_place", ["place"])
        batch.create_index("ix_dashboard_ticket_filed_at", ["filed_at"])
    bind = op.get_bind()
    figures: dict[tuple[str, str, object], int] = defaultdict(int)
    rows = bind.execute(sa.select(TICKETS.c.community_id, TICKETS.c.category, TICKETS.c.counted, TICKETS.c.filed_at))
    for community_id, category, counted, filed_at in rows:
        if isinstance(counted, str):
            counted = json.loads(counted)
        moment = filed_at if filed_at.tzinfo else filed_at.replace(tzinfo=timezone.utc)
        day = moment.astimezone(BEIJING).date()
        scopes = ("all", _community_scope(community_id), f"category:{category}", "channel:unknown", "kind:unknown")
        for metric, value in (counted or {}).items():
            for scope in scopes:
                figures[(scope, metric, day)] += value
    if figures:
        bind.execute(DAILY.insert(), [{"scope": s, "metric": m, "day": d, "value": v} for (s, m, d), v in figures.items() if v])
    bind.execute(COUNTERS.delete().where(sa.not_(COUNTERS.c.metric.startswith("status:"))))


def downgrade() -> None:
    bind = op.get_bind()
    totals = bind.execute(sa.select(DAILY.c.scope, DAILY.c.metric, sa.func.sum(DAILY.c.value)).group_by(DAILY.c.scope, DAILY.c.metric)).all()
    keep = [{"scope": s, "metric": m, "value": int(v)} for s, m, v in totals
            if v and not s.startswith(("channel:", "kind:", "grid:", "place:"))]
    if keep:
        bind.execute(COUNTERS.insert(), keep)
    with op.batch_alter_table("dashboard_ticket") as batch:
        batch.drop_index("ix_dashboard_ticket_filed_at")
        batch.drop_index("ix_dashboard_ticket_place")
        batch.drop_index("ix_dashboard_ticket_grid_id")
        for column in ("facts", "overdue", "place", "kind", "channel", "grid_id"):
            batch.drop_column(column)
    op.drop_index("ix_dashboard_topic_month", table_name="dashboard_topic")
    op.drop_table("dashboard_topic")
    op.drop_table("dashboard_weights")
    op.drop_index("ix_dashboard_daily_day", table_name="dashboard_daily")
    op.drop_table("dashboard_daily")
