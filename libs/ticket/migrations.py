"""Alembic operation shared by every service's ticket table: add the folded-view columns it lacks and fill `fold`
from what the rows already hold (one definition, like libs/messaging/migrations.py)."""
from __future__ import annotations

import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

from libs.ticket.status import TicketStatus
from libs.ticket.view import TicketView

_COLUMNS = dict((
    ("escalation_level", lambda: sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0")),
    ("escalation_stage", lambda: sa.Column("escalation_stage", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True)),
    ("warnings", lambda: sa.Column("warnings", sa.JSON(), nullable=True)),
    ("merged_into", lambda: sa.Column("merged_into", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)),
    ("suspended", lambda: sa.Column("suspended", sa.Boolean(), nullable=False, server_default=sa.false())),
    ("reopen_count", lambda: sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0")),
    ("joint_handling", lambda: sa.Column("joint_handling", sa.Boolean(), nullable=False, server_default=sa.false())),
    ("return_count", lambda: sa.Column("return_count", sa.Integer(), nullable=False, server_default="0")),
    ("fold", lambda: sa.Column("fold", sa.JSON(), nullable=True)),
))


def _view_of(row: dict) -> TicketView:
    status = TicketStatus(row["status"])
    level = row.get("escalation_level") or 0
    stage = row.get("escalation_stage") or next(iter(sorted(TicketView(status=status).running_stages())), None)
    warnings = row.get("warnings") or {}
    return TicketView(
        status=status,
        department_id=row.get("department_id"),
        warnings=json.loads(warnings) if isinstance(warnings, str) else warnings,
        escalations={stage: level} if level and stage else {},
        merged_into=row.get("merged_into"),
        contacted=row.get("contacted_at") is not None,
        suspended=bool(row.get("suspended")),
        reopen_count=row.get("reopen_count") or 0,
        joint_handling=bool(row.get("joint_handling")),
        return_count=row.get("return_count") or 0,
    )


def add_ticket_view_columns(table: str, columns: tuple[str, ...]) -> None:
    """Add `columns` (those of TicketViewColumns the table lacks), then fill `fold` from each row."""
    bind = op.get_bind()
    with op.batch_alter_table(table) as batch:
        for name in columns:
            batch.add_column(_COLUMNS[name]())
    t = sa.table(table, sa.column("id"), sa.column("warnings", sa.JSON()), sa.column("fold", sa.JSON()))
    for row in bind.execute(sa.text(f"SELECT * FROM {table}")).mappings():  # noqa: S608 - table name is ours
        view = _view_of(dict(row))
        bind.execute(sa.update(t).where(t.c.id == row["id"]).values(fold=view.to_dict(), warnings=dict(view.warnings)))


def drop_ticket_view_columns(table: str, columns: tuple[str, ...]) -> None:
    with op.batch_alter_table(table) as batch:
        for name in columns:
            batch.drop_column(name)


def add_location_and_photos(table: str, *, summary_columns: bool = True) -> None:
    """Issue 8: coordinates, photos and 现场核实 reach every console; kinds grow to 隐患随手拍, 咨询, 建议 (`kind` 20 wide)."""
    with op.batch_alter_table(table) as batch:
        if summary_columns:
            batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
            batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
            batch.add_column(sa.Column("attachments", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("verified_on_site", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.alter_column(
            "kind", type_=sqlmodel.sql.sqltypes.AutoString(length=20), existing_type=sqlmodel.sql.sqltypes.AutoString(length=10)
        )
    if summary_columns:
        t = sa.table(table, sa.column("attachments", sa.JSON()))
        op.get_bind().execute(sa.update(t).where(t.c.attachments.is_(None)).values(attachments=[]))


def drop_location_and_photos(table: str, *, summary_columns: bool = True) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_column("verified_on_site")
        if summary_columns:
            for name in ("attachments", "longitude", "latitude"):
                batch.drop_column(name)


def add_next_due(table: str) -> None:
    """Issue 9: `next_due`, the earliest running deadline (from StageDeadlineSet events), for lists sorted by deadline.
    Rows of tickets already running get it with their workflow's next StageDeadlineSet."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("next_due", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(f"ix_{table}_next_due", ["next_due"])


def drop_next_due(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_index(f"ix_{table}_next_due")
        batch.drop_column("next_due")
