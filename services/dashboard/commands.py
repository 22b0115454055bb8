"""The scheduled reports the workflows publish on the `reports` topic (monthly ranking snapshots, daily overdue
digests): kept as they arrive, the latest run of a report winning."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.events import Envelope, OverdueDigest, RankingSnapshot
from services.dashboard.domain import digest_scopes_for
from services.dashboard.models import (
    DashboardOverdueDigest,
    DashboardRankingSnapshot,
    OverdueDigestPublic,
    RankingSnapshotPublic,
)


# --- reports topic: snapshots computed by the workflows' schedules ---


def store_ranking(session: Session, event: RankingSnapshot) -> None:
    """Keep a RankingSnapshot; a re-run of the same report replaces the earlier one."""
    row = session.get(DashboardRankingSnapshot, (event.month, event.scope)) or DashboardRankingSnapshot(
        month=event.month, scope=event.scope, event_id=str(event.event_id), occurred_at=event.occurred_at
    )
    if _aware(row.occurred_at) > event.occurred_at:
        return  # an older run arriving late must not replace a newer one
    row.entries = [entry.model_dump() for entry in event.entries]
    _keep(session, row, event)


def store_digest(session: Session, event: OverdueDigest) -> None:
    """Keep an OverdueDigest; a re-run of the same day's digest replaces the earlier one."""
    row = session.get(DashboardOverdueDigest, (event.day, event.scope)) or DashboardOverdueDigest(
        day=event.day, scope=event.scope, event_id=str(event.event_id), occurred_at=event.occurred_at
    )
    if _aware(row.occurred_at) > event.occurred_at:
        return
    row.tickets = [item.model_dump() for item in event.tickets]
    _keep(session, row, event)


def _keep(session: Session, row: DashboardRankingSnapshot | DashboardOverdueDigest, event: Envelope) -> None:
    row.event_id, row.occurred_at = str(event.event_id), event.occurred_at
    session.add(row)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def ranking_history(session: Session, month: str) -> list[RankingSnapshotPublic]:
    rows = session.exec(
        select(DashboardRankingSnapshot).where(DashboardRankingSnapshot.month == month).order_by(col(DashboardRankingSnapshot.scope))
    )
    return [RankingSnapshotPublic.model_validate(row.model_dump()) for row in rows]


def digests(session: Session, *, principal: Principal, day: str) -> list[OverdueDigestPublic]:
    """The day's 督办清单: leadership sees every scope, staff their own community's or department's."""
    query = select(DashboardOverdueDigest).where(DashboardOverdueDigest.day == day)
    allowed = digest_scopes_for(principal.role, principal.community_id, principal.department_id)
    if allowed is not None:
        query = query.where(col(DashboardOverdueDigest.scope).in_(allowed))
    rows = session.exec(query.order_by(col(DashboardOverdueDigest.scope)))
    return [OverdueDigestPublic.model_validate(row.model_dump()) for row in rows]
