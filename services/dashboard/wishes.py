"""微心愿 and points on the dashboard, from the wishes service's events only (寻梦—揽梦—圆梦 on `wishes`, ledger credits
on `points`): how many wishes were posted, approved, declined, claimed, fulfilled and confirmed, how many days a wish
waited from posting to its first fulfilment, how many volunteers were active, and the points and time-bank hours
credited. Each figure is kept on the Beijing day of its event in `dashboard_daily` under `wish:all` and
`wish:community:<id>` (never mixed with the ticket scopes); active volunteers are one row per volunteer, community and
day (`dashboard_wish_volunteer_day`) so a period counts each once. A wish counts as claimed and as fulfilled once,
however often it goes back to the wall or is disputed (`dashboard_wish` remembers)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Column, Date, DateTime, func
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel

from libs.events import Event
from libs.events.wishes import (
    PointsCredited,
    VolunteerConfirmed,
    WishApproved,
    WishClaimed,
    WishConfirmed,
    WishDeclined,
    WishDisputed,
    WishFulfilled,
    WishPosted,
    WishReturnedToWall,
)
from services.dashboard.periods import Period, beijing_day
from services.dashboard.projection import _insert, bump_daily
from services.dashboard.queries import period_sums

WISH_PREFIX = "wish:"
METRICS = ("wish_posted", "wish_approved", "wish_declined", "wish_claimed", "wish_fulfilled", "wish_confirmed",
           "wish_returned", "wish_disputed", "wish_fulfil_seconds", "volunteers_confirmed", "points_credited",
           "minutes_credited")


class DashboardWish(SQLModel, table=True):
    """What the dashboard remembers of one wish, so each of its figures counts once."""

    __tablename__ = "dashboard_wish"

    wish_id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40, index=True)
    category: str = Field(default="", max_length=40)
    status: str = Field(default="pending_review", max_length=20)
    posted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))  # the first claim
    fulfilled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))  # the first 圆梦


class DashboardWishVolunteerDay(SQLModel, table=True):
    """A volunteer who claimed or fulfilled a wish of a community on a day (active volunteers of a period)."""

    __tablename__ = "dashboard_wish_volunteer_day"

    volunteer_id: str = Field(primary_key=True, max_length=80)
    community_id: str = Field(primary_key=True, max_length=40)
    day: date = Field(sa_column=Column(Date, primary_key=True, index=True))


def _scopes(community_id: str | None) -> list[str]:
    return [f"{WISH_PREFIX}all"] + ([f"{WISH_PREFIX}community:{community_id}"] if community_id else [])


def _bump(session: Session, community_id: str | None, metric: str, moment: datetime, delta: int = 1) -> None:
    for scope in _scopes(community_id):
        bump_daily(session, scope, metric, beijing_day(moment), delta)


def _active(session: Session, volunteer_id: str, community_id: str, moment: datetime) -> None:
    stmt = _insert(session)(DashboardWishVolunteerDay).values(
        volunteer_id=volunteer_id, community_id=community_id, day=beijing_day(moment)).on_conflict_do_nothing()
    session.execute(stmt)


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)  # stored in UTC: SQLite hands times back naive


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def project_wish_event(session: Session, event: Event) -> None:
    """Fold one wishes/points event into the wish figures (inside the inbox transaction)."""
    if isinstance(event, PointsCredited):
        _bump(session, event.community_id, "points_credited", event.occurred_at, event.points)
        _bump(session, event.community_id, "minutes_credited", event.occurred_at, event.minutes)
        return
    if isinstance(event, VolunteerConfirmed):
        _bump(session, event.community_id, "volunteers_confirmed", event.occurred_at)
        return
    wish = session.get(DashboardWish, event.wish_id) if hasattr(event, "wish_id") else None
    if isinstance(event, WishPosted):
        if wish is None:
            session.add(DashboardWish(wish_id=event.wish_id, community_id=event.community_id, category=event.category,
                                      posted_at=_utc(event.occurred_at)))
            _bump(session, event.community_id, "wish_posted", event.occurred_at)
        return
    if wish is None:
        return  # a wish posted before this read model existed
    community = wish.community_id
    if isinstance(event, WishApproved) and wish.status == "pending_review":
        wish.status = "open"
        _bump(session, community, "wish_approved", event.occurred_at)
    elif isinstance(event, WishDeclined) and wish.status == "pending_review":
        wish.status = "declined"
        _bump(session, community, "wish_declined", event.occurred_at)
    elif isinstance(event, WishClaimed):
        wish.status = "claimed"
        _active(session, event.claimant_id, community, event.occurred_at)
        if wish.claimed_at is None:
            wish.claimed_at = _utc(event.occurred_at)
            _bump(session, community, "wish_claimed", event.occurred_at)
    elif isinstance(event, WishReturnedToWall):
        wish.status = "open"
        _bump(session, community, "wish_returned", event.occurred_at)
    elif isinstance(event, WishFulfilled):
        wish.status = "fulfilled"
        _active(session, event.claimant_id, community, event.occurred_at)
        if wish.fulfilled_at is None:
            wish.fulfilled_at = _utc(event.occurred_at)
            _bump(session, community, "wish_fulfilled", event.occurred_at)
            waited = (_aware(event.occurred_at) - _aware(wish.posted_at)).total_seconds() if wish.posted_at else 0
            _bump(session, community, "wish_fulfil_seconds", event.occurred_at, max(int(waited), 0))
    elif isinstance(event, WishConfirmed) and wish.status != "confirmed":
        wish.status = "confirmed"
        _bump(session, community, "wish_confirmed", event.occurred_at)
    elif isinstance(event, WishDisputed):
        wish.status = "disputed"
        _bump(session, community, "wish_disputed", event.occurred_at)
    session.add(wish)


WISH_EVENTS = (WishPosted, WishApproved, WishDeclined, WishClaimed, WishReturnedToWall, WishFulfilled, WishConfirmed,
               WishDisputed, VolunteerConfirmed, PointsCredited)


class WishCommunity(SQLModel):
    community_id: str
    posted: int
    claimed: int
    fulfilled: int
    confirmed: int
    active_volunteers: int
    points_credited: int


class WishStats(SQLModel):
    """The wish wall and points over a period (each figure on the day of its event)."""

    scope: str  # all or community:<id>
    posted: int = 0  # 寻梦: wishes posted
    approved: int = 0  # 上墙
    declined: int = 0
    claimed: int = 0  # 揽梦: wishes claimed for the first time
    fulfilled: int = 0  # 圆梦: wishes fulfilled for the first time
    confirmed: int = 0  # confirmed by the wisher (or staff on their behalf)
    returned: int = 0  # back on the wall (given up, expired, reopened)
    disputed: int = 0
    avg_days_to_fulfil: float | None = None  # posting to first fulfilment, of the wishes fulfilled in the period
    active_volunteers: int = 0  # distinct volunteers who claimed or fulfilled a wish
    volunteers_confirmed: int = 0  # 在职党员报到 confirmed
    points_credited: int = 0
    hours_credited: float = 0.0  # 时间银行
    communities: list[WishCommunity] = []


DEFINITIONS = {
    "posted": "本期提交的微心愿（寻梦）", "claimed": "本期首次被认领的心愿（揽梦）",
    "fulfilled": "本期首次完成的心愿（圆梦）", "confirmed": "心愿人（或社区代为）确认完成",
    "avg_days_to_fulfil": "本期完成的心愿从提交到首次完成的平均天数（自然日）",
    "active_volunteers": "本期认领或完成过心愿的志愿者人数（每人只计一次）",
    "points_credited": "本期记入的积分；时间银行为记入的服务时长",
}


def _volunteers(session: Session, period: Period, community_id: str | None) -> dict[str, int]:
    """community -> distinct active volunteers in the period, and "all" over the whole district."""
    where = [DashboardWishVolunteerDay.day >= period.start, DashboardWishVolunteerDay.day <= period.end]
    if community_id:
        where.append(DashboardWishVolunteerDay.community_id == community_id)
    per = session.execute(sa_select(DashboardWishVolunteerDay.community_id, func.count(func.distinct(DashboardWishVolunteerDay.volunteer_id)))
                          .where(*where).group_by(DashboardWishVolunteerDay.community_id)).all()
    total = session.execute(sa_select(func.count(func.distinct(DashboardWishVolunteerDay.volunteer_id))).where(*where)).scalar()
    return {**{c: int(n) for c, n in per}, "all": int(total or 0)}


def wish_stats(session: Session, period: Period, *, community_id: str | None = None) -> WishStats:
    """One community's wish figures (or the district's, with every community's row) over a period."""
    scope = f"community:{community_id}" if community_id else "all"
    sums = period_sums(session, period, prefix=f"{WISH_PREFIX}{scope}" if community_id else WISH_PREFIX)
    mine = sums.get(f"{WISH_PREFIX}{scope}", {})
    volunteers = _volunteers(session, period, community_id)
    c = mine.get
    fulfilled = c("wish_fulfilled", 0)
    stats = WishStats(
        scope=scope, posted=c("wish_posted", 0), approved=c("wish_approved", 0), declined=c("wish_declined", 0),
        claimed=c("wish_claimed", 0), fulfilled=fulfilled, confirmed=c("wish_confirmed", 0),
        returned=c("wish_returned", 0), disputed=c("wish_disputed", 0),
        avg_days_to_fulfil=round(c("wish_fulfil_seconds", 0) / fulfilled / 86400, 1) if fulfilled else None,
        active_volunteers=volunteers.get(community_id or "all", 0), volunteers_confirmed=c("volunteers_confirmed", 0),
        points_credited=c("points_credited", 0), hours_credited=round(c("minutes_credited", 0) / 60, 1),
    )
    if not community_id:
        prefix = f"{WISH_PREFIX}community:"
        stats.communities = sorted((
            WishCommunity(community_id=key.removeprefix(prefix), posted=v.get("wish_posted", 0), claimed=v.get("wish_claimed", 0),
                          fulfilled=v.get("wish_fulfilled", 0), confirmed=v.get("wish_confirmed", 0),
                          active_volunteers=volunteers.get(key.removeprefix(prefix), 0), points_credited=v.get("points_credited", 0))
            for key, v in sums.items() if key.startswith(prefix)
        ), key=lambda row: (-row.fulfilled, -row.posted, row.community_id))
    return stats
