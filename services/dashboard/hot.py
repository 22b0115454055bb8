"""Hot issues (未诉先办 / 每月一题): categories and places whose tickets in the last 7 or 30 days rise well above their
usual level, and places residents file from again and again; a hot issue becomes the month's topic, tracked to closure.

Method (Poisson tail): for each scope, the baseline rate is its tickets over the 84 days (12 weeks) before the window,
per day, floored at one ticket per 84 days (a scope that was silent still has a small expected rate); the expected count
in a window of w days is λ = rate × w. A scope is hot when at least MIN_COUNT tickets were filed in the window and the
probability of seeing that many or more under Poisson(λ), P(X ≥ observed), is below P_THRESHOLD. Counts are the daily
`filed` figures (tickets filed, by their filing day in Beijing), so nothing scans tickets."""
from __future__ import annotations

import math
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from libs.auth.principal import Principal
from services.dashboard.access import visibility
from libs.statemachine import DomainError, NotFound, Rejected
from libs.ticket import FINISHED
from services.dashboard.models import DashboardDaily, DashboardTicket, DashboardTopic
from services.dashboard.names import scope_name
from services.dashboard.queries import starts_with
from services.dashboard.periods import today

BASELINE_DAYS = 84
MIN_COUNT = 3
P_THRESHOLD = 0.01
REPEAT_MIN = 3  # tickets from one place within 30 days
HOT_KINDS = ("category", "community", "grid", "place")
METHOD = ("泊松检验：以窗口前 12 周（84 天）的日均受理量为基线（至少按 84 天 1 件计），窗口内期望值 λ = 日均 × 天数；"
          f"窗口内受理不少于 {MIN_COUNT} 件且 P(X ≥ 实际件数) < {P_THRESHOLD} 时列为热点。")


class HotIssue(SQLModel):
    scope: str
    name: str
    window_days: int
    observed: int
    expected: float
    ratio: float | None  # observed / expected
    p_value: float


class RepeatedPlace(SQLModel):
    scope: str
    name: str
    tickets: int
    open: int
    categories: dict[str, int]
    ticket_ids: list[str]


class TopicPublic(SQLModel):
    id: str
    month: str
    title: str
    scope: str
    name: str
    window_days: int
    observed: int
    expected: float
    status: str
    note: str | None
    created_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    tickets_since: int = 0  # filed in the scope since the topic was chosen
    open_now: int = 0  # of the scope's tickets, still open


def poisson_tail(observed: int, expected: float) -> float:
    """P(X ≥ observed) for X ~ Poisson(expected), summed upward from `observed` in log space (a few dozen terms, stable
    for thousands of tickets; the old 1 − P(X < observed) walked every term below and lost the tail to rounding)."""
    if observed <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    log_term = -expected + observed * math.log(expected) - math.lgamma(observed + 1)  # log P(X = observed)
    total, term, k = 0.0, math.exp(log_term), observed
    while term > 0 and (term > total * 1e-12 or k < expected):
        total += term
        k += 1
        term *= expected / k
    return min(1.0, total)


def _window_counts(session: Session, baseline_start: date, window_start: date, end: date) -> list[tuple[str, int, int]]:
    """(scope, tickets in the window, tickets in the baseline) of every hot-issue scope, summed by the database from
    the per-day `filed` figures (the (metric, day) index holds scope and value: an index-only scan)."""
    value = DashboardDaily.value
    query = sa_select(
        DashboardDaily.scope,
        func.coalesce(func.sum(value).filter(DashboardDaily.day >= window_start), 0),
        func.coalesce(func.sum(value).filter(DashboardDaily.day < window_start), 0),
    ).where(
        DashboardDaily.metric == "filed", DashboardDaily.day >= baseline_start, DashboardDaily.day <= end,
        or_(*(and_(*starts_with(DashboardDaily.scope, f"{kind}:")) for kind in HOT_KINDS)),
    ).group_by(DashboardDaily.scope)
    return [(scope, int(window), int(baseline)) for scope, window, baseline in session.execute(query)]


def hot_issues(session: Session, *, window_days: int, as_of: date | None = None) -> list[HotIssue]:
    """Scopes whose last `window_days` (ending `as_of`, default today in Beijing) stand out against 12 weeks before."""
    end = as_of or today()
    window_start = end - timedelta(days=window_days - 1)
    baseline_start = window_start - timedelta(days=BASELINE_DAYS)
    found = []
    for scope, observed, baseline in _window_counts(session, baseline_start, window_start, end):
        expected = max(baseline, 1) / BASELINE_DAYS * window_days
        if observed < MIN_COUNT or observed <= expected:  # at or below the usual level: P(X ≥ observed) is far above 0.01
            continue
        p = poisson_tail(observed, expected)
        if p < P_THRESHOLD:
            found.append(HotIssue(scope=scope, name=scope_name(scope), window_days=window_days, observed=observed,
                                  expected=round(expected, 2), ratio=round(observed / expected, 1), p_value=round(p, 6)))
    return sorted(found, key=lambda h: (h.p_value, -h.observed, h.scope))


def repeated_places(session: Session, *, days: int = 30, as_of: date | None = None, limit: int = 20) -> list[RepeatedPlace]:
    """Places (小区 or ~200 m cell) with REPEAT_MIN or more tickets filed in the last `days`, the `limit` with the most
    first. The database counts (by place, category and status, from the filed_at index that holds them); each place
    then lists its latest 50 tickets from the (place, filed_at) index."""
    end = as_of or today()
    bj = timezone(timedelta(hours=8))
    # In UTC: SQLite compares times as UTC text without a zone (a Beijing-zoned bound would be read 8 hours off).
    since = datetime.combine(end - timedelta(days=days - 1), datetime.min.time(), tzinfo=bj).astimezone(timezone.utc)
    until = datetime.combine(end, datetime.max.time(), tzinfo=bj).astimezone(timezone.utc)
    t = DashboardTicket
    in_window = (col(t.place).is_not(None), t.filed_at >= since, t.filed_at <= until)
    finished = {s.value for s in FINISHED}
    places: dict[str, dict] = defaultdict(lambda: {"tickets": 0, "open": 0, "categories": defaultdict(int)})
    for place, category, status, count in session.execute(
        sa_select(t.place, t.category, t.status, func.count()).where(*in_window).group_by(t.place, t.category, t.status)
    ):
        entry = places[place]
        entry["tickets"] += count
        entry["open"] += count if status not in finished else 0
        entry["categories"][category] += count
    chosen = sorted(((p, e) for p, e in places.items() if e["tickets"] >= REPEAT_MIN), key=lambda pe: (-pe[1]["tickets"], pe[0]))[:limit]
    result = []
    for place, entry in chosen:
        ids = session.execute(sa_select(t.id).where(t.place == place, *in_window[1:])
                              .order_by(col(t.filed_at).desc(), col(t.id)).limit(50)).scalars().all()
        result.append(RepeatedPlace(scope=f"place:{place}", name=scope_name(f"place:{place}"), tickets=entry["tickets"],
                                    open=entry["open"], categories=dict(entry["categories"]), ticket_ids=list(ids)))
    return result


# ------------------------------------------------------------------ topics of the month (每月一题)


def _public(session: Session, topic: DashboardTopic) -> TopicPublic:
    column = {"category": DashboardTicket.category, "community": DashboardTicket.community_id,
              "grid": DashboardTicket.grid_id, "place": DashboardTicket.place}[topic.scope.split(":", 1)[0]]
    key = topic.scope.split(":", 1)[1]
    finished = [s.value for s in FINISHED]
    since = session.execute(sa_select(func.count()).where(column == key, DashboardTicket.filed_at >= topic.created_at)).scalar_one()
    open_now = session.execute(
        sa_select(func.count()).where(column == key, col(DashboardTicket.status).not_in(finished))
    ).scalar_one()
    return TopicPublic(**topic.model_dump(), name=scope_name(topic.scope), tickets_since=since, open_now=open_now)


def list_topics(session: Session, *, month: str | None = None) -> list[TopicPublic]:
    query = select(DashboardTopic)
    if month:
        query = query.where(DashboardTopic.month == month)
    rows = session.exec(query.order_by(col(DashboardTopic.created_at).desc())).all()
    return [_public(session, row) for row in rows]


def create_topic(session: Session, *, principal: Principal, scope: str, window_days: int, title: str | None = None,
                 as_of: date | None = None) -> TopicPublic:
    """Make a hot issue the month's topic; the figures it was chosen on are kept with it."""
    kind = scope.split(":", 1)[0]
    if kind not in HOT_KINDS or ":" not in scope:
        raise Rejected(f"scope: 只有类别、社区、网格或地点可以设为每月一题（收到 {scope!r}）")
    end = as_of or today()
    month = f"{end.year}-{end.month:02d}"
    if session.exec(select(DashboardTopic).where(DashboardTopic.month == month, DashboardTopic.scope == scope,
                                                 DashboardTopic.status == "open")).first():
        raise DomainError(f"scope: {scope_name(scope)} 已是本月的每月一题")
    hot = next((h for h in hot_issues(session, window_days=window_days, as_of=end) if h.scope == scope), None)
    observed = hot.observed if hot else 0
    expected = hot.expected if hot else 0.0
    topic = DashboardTopic(
        id=uuid.uuid4().hex[:12], month=month, title=(title or f"{scope_name(scope)}诉求集中")[:80], scope=scope,
        window_days=window_days, observed=observed, expected=expected, created_by=principal.sub,
        created_at=datetime.now(timezone.utc),
    )
    session.add(topic)
    session.flush()
    return _public(session, topic)


def close_topic(session: Session, *, principal: Principal, topic_id: str, note: str) -> TopicPublic:
    topic = session.get(DashboardTopic, topic_id)
    if topic is None or not visibility(principal).may_read(topic.scope):
        raise NotFound(f"topic {topic_id} not found")
    if topic.status == "closed":
        raise DomainError("该每月一题已办结")
    topic.status, topic.note, topic.closed_by, topic.closed_at = "closed", note, principal.sub, datetime.now(timezone.utc)
    session.add(topic)
    session.flush()
    return _public(session, topic)
