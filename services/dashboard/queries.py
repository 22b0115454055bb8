"""Dashboard queries: every figure of a period is a sum over the per-day rows (dashboard_daily), never a scan of
tickets; tickets by status are the current counters; lists read the ticket rows, narrowed by access.py."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timezone

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from libs.directory import get_directory
from libs.ticket import FINISHED
from services.dashboard import summons
from services.dashboard.access import Visibility
from services.dashboard.models import (
    DashboardCounter,
    DashboardDaily,
    DashboardTicket,
    EscalatedTicket,
    PeriodPublic,
    RankingRow,
    Summary,
    TicketRow,
)
from services.dashboard.names import scope_name
from services.dashboard.periods import BEIJING as _BJ
from services.dashboard.periods import Period, trend_buckets
from services.dashboard.rates import change, count_change, rates_for

FINISHED_STATUSES = sorted(s.value for s in FINISHED)
RATE_KEYS = ("response_rate", "resolution_rate", "satisfaction_rate", "closure_rate", "on_time_rate", "overdue_rate",
             "return_rate", "reopen_rate", "summons_on_time_rate", "score")


def starts_with(column, prefix: str | None) -> list:  # noqa: ANN001 - a column
    """`column` starts with `prefix`, as a range an index can seek (LIKE 'x%' cannot under the databases' C.UTF-8
    collation): prefix <= column < the prefix with its last character moved one up."""
    if not prefix:
        return []
    return [column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1)]


def period_sums(session: Session, period: Period, *, scope: str | None = None, prefix: str | None = None) -> dict[str, dict[str, int]]:
    """scope -> metric -> sum over the period's days, for one scope or every scope starting with `prefix`."""
    query = sa_select(DashboardDaily.scope, DashboardDaily.metric, func.sum(DashboardDaily.value)).where(
        DashboardDaily.day >= period.start, DashboardDaily.day <= period.end
    )
    query = query.where(DashboardDaily.scope == scope) if scope is not None else query.where(*starts_with(DashboardDaily.scope, prefix))
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for row_scope, metric, total in session.execute(query.group_by(DashboardDaily.scope, DashboardDaily.metric)):
        result[row_scope][metric] = int(total or 0)
    return result


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's first and last instant (Beijing days), in UTC: SQLite compares times as UTC text without a zone,
    so a Beijing-zoned bound would be read 8 hours off."""
    return (datetime.combine(period.start, datetime.min.time(), tzinfo=_BJ).astimezone(timezone.utc),
            datetime.combine(period.end, datetime.max.time(), tzinfo=_BJ).astimezone(timezone.utc))


def with_summons(session: Session, period: Period, sums: dict[str, dict[str, int]], *, scope: str | None = None,
                 prefix: str | None = None) -> dict[str, dict[str, int]]:
    """`sums` with the 吹哨报到 figures of the summonses made in the period (summons.period_counts) of the same scopes."""
    wanted = scope.partition(":")[0] if scope is not None else (prefix or "").rstrip(":")
    if wanted not in ("all", "community", "department", ""):
        return sums  # grids, categories, channels, kinds and places have no summons figures
    for found, figures in summons.period_counts(session, *_bounds(period)).items():
        if (found == scope) if scope is not None else found.startswith(prefix or ""):
            sums.setdefault(found, {}).update(figures)
    return sums


def statuses(session: Session, *, scope: str | None = None, prefix: str | None = None) -> dict[str, dict[str, int]]:
    """scope -> status -> tickets in it now."""
    query = sa_select(DashboardCounter.scope, DashboardCounter.metric, DashboardCounter.value).where(
        col(DashboardCounter.metric).startswith("status:")
    )
    query = query.where(DashboardCounter.scope == scope) if scope is not None else query.where(*starts_with(DashboardCounter.scope, prefix))
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for row_scope, metric, value in session.execute(query):
        if value:
            result[row_scope][metric.removeprefix("status:")] = value
    return result


def open_count(by_status: Mapping[str, int]) -> int:
    return sum(v for status, v in by_status.items() if status not in FINISHED_STATUSES and status != "closed")


def _summary(scope: str, period: Period, counts: Mapping[str, int], by_status: Mapping[str, int], weights: Mapping[str, int] | None,
             previous: Mapping[str, int] | None = None, year_ago: Mapping[str, int] | None = None) -> Summary:
    rates = rates_for(scope, counts, weights)
    department = scope.startswith("department:")
    filed = counts.get("received" if department else "filed", 0)
    summary = Summary(
        scope=scope, name=scope_name(scope), period=PeriodPublic(kind=period.kind, start=period.start, end=period.end, label=period.label),
        filed=filed, counts=dict(counts), by_status=dict(by_status), returned=counts.get("returned", 0),
        reopened=counts.get("reopened", 0), escalated=counts.get("escalated" if not department else "overdue", 0),
        warned=counts.get("warned", 0), rated=counts.get("rated", 0), unreachable=counts.get("unreachable", 0), rates=rates,
    )
    for attr, changes, other in (("previous", "change", previous), ("year_ago", "change_yoy", year_ago)):
        if other is None:
            continue
        other_rates = rates_for(scope, other, weights)
        setattr(summary, attr, other_rates)
        before = other.get("received" if department else "filed", 0)
        setattr(summary, changes, {
            **{key: change(getattr(rates, key), getattr(other_rates, key)) for key in RATE_KEYS},
            "filed": count_change(filed, before),
        })
    return summary


def summary(session: Session, scope: str, period: Period, weights: Mapping[str, int] | None = None) -> Summary:
    """One scope over a period, with 环比 and 同比."""
    def counts(p: Period) -> dict[str, int]:
        return with_summons(session, p, period_sums(session, p, scope=scope), scope=scope).get(scope, {})

    by_status = statuses(session, scope=scope).get(scope, {})
    if period.kind == "all":
        return _summary(scope, period, counts(period), by_status, weights)
    return _summary(scope, period, counts(period), by_status, weights, counts(period.previous()), counts(period.year_ago()))


def ranking(session: Session, by: str, period: Period, vis: Visibility, weights: Mapping[str, int] | None = None) -> list[RankingRow]:
    """Every scope of a kind ranked by its composite score (then satisfaction, closure, tickets), with its rank in the
    previous period; staff get only their own row (with its place among all)."""
    prefix = f"{by}:"
    now = with_summons(session, period, period_sums(session, period, prefix=prefix), prefix=prefix)
    before = with_summons(session, period.previous(), period_sums(session, period.previous(), prefix=prefix), prefix=prefix) \
        if period.kind != "all" else {}
    status_now = statuses(session, prefix=prefix)
    rows = [_summary(scope, period, counts, status_now.get(scope, {}), weights, before.get(scope, {}))
            for scope, counts in now.items() if any(counts.values())]
    previous_rank = _ranks([_summary(s, period, c, {}, weights) for s, c in before.items() if any(c.values())])
    ranked = []
    for rank, row in enumerate(sorted(rows, key=_order), start=1):
        was = previous_rank.get(row.scope)
        ranked.append(RankingRow(**row.model_dump(), rank=rank, previous_rank=was, rank_change=None if was is None else was - rank))
    return [row for row in ranked if vis.may_read(row.scope)]


def _order(s: Summary) -> tuple:
    r = s.rates
    return (-(r.score if r.score is not None else -1), -(r.satisfaction_rate or 0), -(r.closure_rate or 0), -s.filed, s.scope)


def _ranks(rows: list[Summary]) -> dict[str, int]:
    return {row.scope: rank for rank, row in enumerate(sorted(rows, key=_order), start=1)}


def trend(session: Session, scope: str, period: Period, weights: Mapping[str, int] | None = None) -> list[dict]:
    """The period's trend line: per day (up to 62 days) or per month, the tickets and the main rates."""
    rows = session.execute(
        sa_select(DashboardDaily.day, DashboardDaily.metric, DashboardDaily.value).where(
            DashboardDaily.scope == scope, DashboardDaily.day >= period.start, DashboardDaily.day <= period.end
        )
    ).all()
    if period.kind == "all":
        days = [day for day, _, _ in rows]
        period = Period("custom", min(days, default=period.start), max(days, default=period.start))
    points = []
    for label, first, last in trend_buckets(period):
        counts: dict[str, int] = defaultdict(int)
        for day, metric, value in rows:
            if first <= day <= last:
                counts[metric] += value
        rates = rates_for(scope, counts, weights)
        points.append({"label": label, "filed": counts.get("received" if scope.startswith("department:") else "filed", 0),
                       **{key: getattr(rates, key) for key in RATE_KEYS}})
    return points


def grid_map(session: Session, vis: Visibility) -> list[dict]:
    """Open tickets now per grid (the map's colours); staff of a community see their community's grids only."""
    by_grid = statuses(session, prefix="grid:")
    allowed = None
    communities = vis.communities if vis.communities is not None else ({vis.community_id} if vis.community_id else None)
    if communities is not None:  # a community's or a street's: the grids the directory gives them
        directory = get_directory()
        allowed = {g for c in communities if (found := directory.community(c)) for g in found.grids}
    elif not vis.everything:  # a department: the grids of its tickets (an index-only scan of department_id, grid_id)
        query = sa_select(DashboardTicket.grid_id).distinct().where(col(DashboardTicket.grid_id).is_not(None))
        allowed = {g for (g,) in session.execute(vis.filter_tickets(query, DashboardTicket))}
    return [
        {"grid_id": scope.removeprefix("grid:"), "name": scope_name(scope), "open": open_count(counts),
         "by_status": counts}
        for scope, counts in sorted(by_grid.items()) if allowed is None or scope.removeprefix("grid:") in allowed
    ]


DRILL_SCOPE_COLUMNS = {"community": "community_id", "grid": "grid_id", "category": "category", "channel": "channel",
                       "kind": "kind", "place": "place", "department": "department_id"}
FLAGS = ("all", "open", "overdue", "escalated", "handled", "unhandled")


def tickets(session: Session, vis: Visibility, *, scope: str, period: Period | None, flag: str = "all",
            limit: int = 200, offset: int = 0) -> list[TicketRow]:
    """The tickets behind a figure: of `scope` (a department: those it holds or held last), filed in the period."""
    query = vis.filter_tickets(select(DashboardTicket), DashboardTicket)
    kind, _, key = scope.partition(":")
    if kind == "triage":
        query = query.where(DashboardTicket.community_id == f"street:{key}")
    elif kind in DRILL_SCOPE_COLUMNS:
        query = query.where(getattr(DashboardTicket, DRILL_SCOPE_COLUMNS[kind]) == key)
    if period is not None:
        start, end = _bounds(period)
        query = query.where(DashboardTicket.filed_at >= start, DashboardTicket.filed_at <= end)
    if flag == "open":
        query = query.where(col(DashboardTicket.status).not_in(FINISHED_STATUSES))
    elif flag == "overdue":
        query = query.where(DashboardTicket.overdue == True)  # noqa: E712 - SQL
    elif flag == "escalated":
        query = query.where(DashboardTicket.escalation_level > 0, col(DashboardTicket.status).not_in(FINISHED_STATUSES))
    elif flag == "handled":
        query = query.where(DashboardTicket.handled == True)  # noqa: E712
    elif flag == "unhandled":
        query = query.where(DashboardTicket.handled == False, col(DashboardTicket.status).not_in(FINISHED_STATUSES))  # noqa: E712
    query = query.order_by(col(DashboardTicket.filed_at).desc(), col(DashboardTicket.id)).offset(offset).limit(limit)
    return [TicketRow.model_validate(t, from_attributes=True) for t in session.exec(query)]


def escalated_tickets(session: Session, vis: Visibility, *, limit: int) -> list[EscalatedTicket]:
    """Open tickets under 督办, highest level first."""
    query = vis.filter_tickets(select(DashboardTicket), DashboardTicket).where(
        DashboardTicket.escalation_level > 0, col(DashboardTicket.status).not_in(FINISHED_STATUSES)
    )
    query = query.order_by(col(DashboardTicket.escalation_level).desc(), col(DashboardTicket.updated_at), col(DashboardTicket.id)).limit(limit)
    return [EscalatedTicket.model_validate(t, from_attributes=True) for t in session.exec(query)]


def overdue_tickets(session: Session, vis: Visibility, *, limit: int, now: datetime | None = None) -> list[TicketRow]:
    """Open tickets past a running stage's deadline now (超期), the longest overdue first."""
    now = now or datetime.now(timezone.utc)
    query = vis.filter_tickets(select(DashboardTicket), DashboardTicket).where(
        col(DashboardTicket.next_due).is_not(None), DashboardTicket.next_due < now,
        col(DashboardTicket.status).not_in(FINISHED_STATUSES),
    )
    query = query.order_by(col(DashboardTicket.next_due), col(DashboardTicket.id)).limit(limit)
    return [TicketRow.model_validate(t, from_attributes=True) for t in session.exec(query)]

