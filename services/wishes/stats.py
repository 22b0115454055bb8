"""微心愿 statistics for the dashboard: the wishes service follows its own events (inbox: once each) into one fact
row per happening, and after each publishes WishStatistics, the community's figures for that Beijing day (posted,
approved, claimed, fulfilled, confirmed, days to fulfil, active volunteers that day and over 30 days, open and
claimed now). The dashboard keeps the latest snapshot per community and day; nothing here reads another service."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Column, Date, DateTime, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from libs.events import Actor
from libs.events.wishes import (
    ProjectAttendanceConfirmed,
    WishApproved,
    WishClaimed,
    WishConfirmed,
    WishFulfilled,
    WishPosted,
    WishStatistics,
)
from libs.messaging import record_event
from services.wishes.domain import WishStatus
from services.wishes.models import Wish

BEIJING = timezone(timedelta(hours=8))
SYSTEM = Actor(role="system", id="wishes")
ACTIVE = ("claimed", "fulfilled", "attended")  # what makes a volunteer active on a day


class WishStatFact(SQLModel, table=True):
    """One happening that counts: its kind, the community and Beijing day, who did it, a value (days to fulfil)."""

    __tablename__ = "wishes_stat_fact"
    __table_args__ = (UniqueConstraint("source_event_id", name="uq_wishes_stat_fact_source"),)

    id: int | None = Field(default=None, primary_key=True)
    source_event_id: str = Field(max_length=36)
    community_id: str = Field(max_length=40, index=True)
    day: date = Field(sa_column=Column(Date, nullable=False, index=True))
    kind: str = Field(max_length=20)  # posted / approved / claimed / fulfilled / confirmed / attended
    actor_id: str | None = Field(default=None, max_length=80)
    value: float | None = None
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def beijing_day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(BEIJING).date()


def snapshot(session: Session, community_id: str, day: date) -> WishStatistics:
    facts = list(session.exec(select(WishStatFact).where(WishStatFact.community_id == community_id, WishStatFact.day == day)))
    count = {kind: sum(1 for f in facts if f.kind == kind) for kind in ("posted", "approved", "claimed", "fulfilled", "confirmed")}
    days = [f.value for f in facts if f.kind == "confirmed" and f.value is not None]
    active_since = session.exec(select(func.count(func.distinct(WishStatFact.actor_id))).where(
        WishStatFact.community_id == community_id, col(WishStatFact.kind).in_(ACTIVE),
        WishStatFact.day > day - timedelta(days=30), WishStatFact.day <= day,
    )).one()
    now = {
        status: session.exec(select(func.count()).select_from(Wish).where(Wish.community_id == community_id, Wish.status == status)).one()
        for status in (WishStatus.open.value, WishStatus.claimed.value)
    }
    return WishStatistics(
        community_id=community_id, day=day, **count,
        days_to_fulfil_mean=round(sum(days) / len(days), 1) if days else None, days_to_fulfil_max=round(max(days), 1) if days else None,
        active_volunteers=len({f.actor_id for f in facts if f.kind in ACTIVE and f.actor_id}), active_volunteers_30d=active_since,
        open_now=now[WishStatus.open.value], claimed_now=now[WishStatus.claimed.value], actor=SYSTEM,
    )


def _count(session: Session, event, kind: str, actor_id: str | None, value: float | None = None) -> None:  # noqa: ANN001
    """Keep the fact (once per event) and publish the community's figures for that day."""
    if session.exec(select(WishStatFact.id).where(WishStatFact.source_event_id == str(event.event_id))).first() is not None:
        return
    day = beijing_day(event.occurred_at)
    session.add(WishStatFact(source_event_id=str(event.event_id), community_id=event.community_id, day=day, kind=kind,
                             actor_id=actor_id, value=value, occurred_at=event.occurred_at))
    session.flush()
    record_event(session, snapshot(session, event.community_id, day))


def on_posted(session: Session, event: WishPosted) -> None:
    _count(session, event, "posted", event.wisher_id)


def on_approved(session: Session, event: WishApproved) -> None:
    _count(session, event, "approved", event.actor.id)


def on_claimed(session: Session, event: WishClaimed) -> None:
    _count(session, event, "claimed", event.claimant_id)


def on_fulfilled(session: Session, event: WishFulfilled) -> None:
    _count(session, event, "fulfilled", event.claimant_id)


def on_confirmed(session: Session, event: WishConfirmed) -> None:
    """Days to fulfil: from the wish's posting to this confirmation."""
    wish = session.get(Wish, event.wish_id)
    posted = wish.posted_at if wish is not None else None
    if posted is not None and posted.tzinfo is None:
        posted = posted.replace(tzinfo=timezone.utc)
    days = round((event.occurred_at - posted).total_seconds() / 86400, 2) if posted is not None else None
    _count(session, event, "confirmed", event.claimant_id, days)


def on_attended(session: Session, event: ProjectAttendanceConfirmed) -> None:
    _count(session, event, "attended", event.volunteer_id)
