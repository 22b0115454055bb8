"""Dashboard projections (event -> counters) and queries."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from libs.auth.principal import WIDE_ROLES, Principal
from libs.events import Envelope, Event, OverdueDigest, RankingSnapshot, TicketAssignedToCommunity, TicketFiled, TicketRecategorized
from libs.statemachine import Forbidden
from libs.ticket import FINISHED
from libs.ticket.view import apply_event, fold
from services.dashboard.domain import TicketFacts, digest_scopes_for, metric_deltas, scope_moves, scopes, status_moves
from services.dashboard.models import (
    DashboardCounter,
    DashboardOverdueDigest,
    DashboardRankingSnapshot,
    DashboardTicket,
    EscalatedTicket,
    OverdueDigestPublic,
    RankingSnapshotPublic,
    Summary,
)
from services.dashboard.rates import compute_rates


def _bump(session: Session, scope: str, metric: str, delta: int) -> None:
    """Atomic upsert-increment, safe when several consumers touch the same counter."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(DashboardCounter).values(scope=scope, metric=metric, value=delta)
    stmt = stmt.on_conflict_do_update(
        index_elements=["scope", "metric"], set_={"value": DashboardCounter.__table__.c.value + delta}
    )
    session.execute(stmt)


def project_event(session: Session, event: Event) -> None:
    """Fold one ticket event into the read model; runs inside the idempotent inbox transaction."""
    ticket = session.get(DashboardTicket, event.ticket_id)
    if isinstance(event, TicketFiled):
        if ticket is None:
            _project_filing(session, event)
        return
    if ticket is None:
        return  # an event for a ticket filed before this read model existed
    facts = _facts(ticket)
    before, before_scopes = ticket.view(), scopes(facts)
    after = apply_event(before, event, service="dashboard")
    facts.department_id = after.department_id or facts.department_id  # set by a dispatch the fold accepted
    if isinstance(event, TicketAssignedToCommunity):  # 街道分拨: from the triage queue to the chosen community
        facts.community_id = ticket.community_id = event.community_id
    if isinstance(event, TicketRecategorized):  # 分类调整: it counts for its new category from now on
        facts.category = ticket.category = event.category
    deltas = metric_deltas(facts, before, after, event)
    after_scopes = scopes(facts)
    counted = dict(ticket.counted or {})
    for scope, metric, delta in scope_moves(counted, before_scopes, after_scopes):
        _bump(session, scope, metric, delta)
    for scope, metric, delta in status_moves(before.status.value, before_scopes, after.status.value, after_scopes):
        _bump(session, scope, metric, delta)
    for scope in after_scopes:
        for metric, delta in deltas.items():
            _bump(session, scope, metric, delta)
    for metric, delta in deltas.items():
        counted[metric] = counted.get(metric, 0) + delta
    ticket.counted = counted
    ticket.store(after)
    ticket.department_id, ticket.responded, ticket.handled = facts.department_id, facts.responded, facts.handled
    ticket.updated_at = datetime.now(timezone.utc)
    session.add(ticket)


def _project_filing(session: Session, event: TicketFiled) -> None:
    ticket = DashboardTicket(
        id=event.ticket_id, community_id=event.community_id, category=event.category, urgency=event.urgency,
        title=event.title, filed_at=event.occurred_at, updated_at=datetime.now(timezone.utc), counted={"filed": 1},
    )
    ticket.store(fold(None, event))
    session.add(ticket)
    for scope in scopes(_facts(ticket)):
        _bump(session, scope, "filed", 1)
        _bump(session, scope, f"status:{ticket.status}", 1)


def _facts(ticket: DashboardTicket) -> TicketFacts:
    return TicketFacts(
        community_id=ticket.community_id, category=ticket.category, department_id=ticket.department_id,
        responded=ticket.responded, handled=ticket.handled,
    )


def authorize_scope(principal: Principal, scope: str) -> None:
    """Leaders see everything; community and department staff see their own scope only."""
    if principal.role in WIDE_ROLES:
        return
    own = {
        "community_staff": f"community:{principal.community_id}",
        "department_staff": f"department:{principal.department_id}",
    }.get(principal.role)
    if scope != own:
        raise Forbidden(f"scope {scope!r} is outside your scope ({own})")


def summary(session: Session, scope: str) -> Summary:
    rows = session.execute(sa_select(DashboardCounter.metric, DashboardCounter.value).where(DashboardCounter.scope == scope))
    counters = {metric: value for metric, value in rows}
    return Summary(
        scope=scope,
        filed=counters.get("filed", 0),
        by_status={m.removeprefix("status:"): v for m, v in counters.items() if m.startswith("status:") and v},
        returned=counters.get("returned", 0),
        reopened=counters.get("reopened", 0),
        escalated=counters.get("escalated", 0),
        warned=counters.get("warned", 0),
        rated=counters.get("rated", 0),
        unreachable=counters.get("unreachable", 0),
        rates=compute_rates(counters),
    )


def ranking(session: Session, kind: str) -> list[Summary]:
    scopes_found = session.execute(
        sa_select(DashboardCounter.scope).where(col(DashboardCounter.scope).startswith(f"{kind}:")).distinct()
    ).scalars()
    result = [summary(session, scope) for scope in scopes_found]
    return sorted(result, key=lambda s: (s.rates.satisfaction_rate or 0, s.rates.closure_rate or 0), reverse=True)


def escalated_tickets(session: Session, *, principal: Principal, limit: int) -> list[EscalatedTicket]:
    query = (
        select(DashboardTicket)
        .where(DashboardTicket.escalation_level > 0)
        .where(col(DashboardTicket.status).not_in(sorted(s.value for s in FINISHED)))
    )
    if principal.role == "community_staff":
        query = query.where(DashboardTicket.community_id == principal.community_id)
    elif principal.role == "department_staff":
        query = query.where(DashboardTicket.department_id == principal.department_id)
    query = query.order_by(col(DashboardTicket.escalation_level).desc(), col(DashboardTicket.updated_at)).limit(limit)
    return [EscalatedTicket(**t.model_dump()) for t in session.exec(query)]


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
