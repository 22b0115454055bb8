"""What earns points and hours (积分 / 时间银行), by the rules in force, and what people see of them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import Session, SQLModel, col, select

from libs.auth.principal import Principal
from libs.events import Actor, TicketRated
from libs.events.wishes import PointsCredited, ProjectAttendanceConfirmed, WishConfirmed
from libs.messaging import record_event
from libs.observability import get_logger
from services.wishes import ledger
from services.wishes.models import Volunteer
from services.wishes.rules import current_rules

log = get_logger(__name__)
BEIJING = timezone(timedelta(hours=8))
SYSTEM = Actor(role="system", id="wishes")
REASON_ZH = {
    "wish_fulfilled": "圆梦", "rating_given": "评价", "redemption": "兑换", "project_attended": "志愿服务",
    "hazard_verified": "隐患随手拍",
}


def _start_of_day(now: datetime) -> datetime:
    """Midnight of `now`'s Beijing day, in UTC: SQLite keeps times as UTC text without a zone and compares the text,
    so a Beijing-zoned bound was read 8 hours late (from 00:00 to 08:00 Beijing the daily cap counted nothing)."""
    local = now.astimezone(BEIJING)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def award(
    session: Session, *, action: str, owner_id: str, community_id: str | None, source_event_id: str, hours: float = 0,
) -> None:
    rules = current_rules(session)
    rule = rules.actions[action]
    if ledger.already_posted(session, source_event_id):
        return
    if rule.daily_cap is not None and ledger.credits_today(
        session, owner_id=owner_id, reason=action, since=_start_of_day(datetime.now(timezone.utc))
    ) >= rule.daily_cap:
        log.info("points_daily_cap_reached", action=action, cap=rule.daily_cap)
        return
    credited_hours = min(max(hours, 0.0), rule.max_hours)
    points = rule.points + round(rule.points_per_hour * credited_hours)
    minutes = round(credited_hours * 60)
    txn = ledger.earn(
        session, owner_id=owner_id, community_id=community_id, source_event_id=source_event_id, reason=action,
        points=points, minutes=minutes, rules_version=rules.version,
    )
    if txn is not None:
        record_event(session, PointsCredited(
            owner_id=owner_id, community_id=community_id, reason=action, source_event_id=source_event_id,
            points=points, minutes=minutes, rules_version=rules.version, actor=SYSTEM,
        ))


def on_wish_confirmed(session: Session, event: WishConfirmed) -> None:
    """圆梦 confirmed: the claimant earns points and the hours they recorded (capped by the rules)."""
    award(session, action="wish_fulfilled", owner_id=event.claimant_id, community_id=event.community_id,
           source_event_id=str(event.event_id), hours=event.hours)


def on_attendance_confirmed(session: Session, event: ProjectAttendanceConfirmed) -> None:
    """三张清单: staff confirmed attendance; the source is the signup, so one attendance credits once whatever happens."""
    award(session, action="project_attended", owner_id=event.volunteer_id, community_id=event.community_id,
           source_event_id=f"attendance:{event.signup_id}", hours=event.hours)


def on_ticket_rated(session: Session, event: TicketRated) -> None:
    """A resident who rates earns points; a rating staff recorded on a 回访 call earns nobody anything."""
    if event.actor.role != "resident":
        return
    award(session, action="rating_given", owner_id=event.actor.id, community_id=None, source_event_id=str(event.event_id))


# --------------------------------------------------------------------------- reads


class LedgerLine(SQLModel):
    reason: str
    reason_zh: str
    points: int
    minutes: int
    created_at: datetime


class MyPoints(SQLModel):
    points: int
    minutes: int
    hours: float
    lines: list[LedgerLine]


class PublicStanding(SQLModel):
    """积分公示: a volunteer as the community shows them, surname only."""

    name: str
    party_member: bool
    points: int
    hours: float
    unit: bool = False  # a 共建单位, named in full (an organisation, not a person)


def my_points(session: Session, *, principal: Principal, limit: int = 30) -> MyPoints:
    points, minutes = (ledger.balance(session, principal.sub, u) for u in ledger.UNITS)
    accounts = [ledger.person(principal.sub, u) for u in ledger.UNITS]
    rows = session.exec(
        select(ledger.LedgerTransaction, ledger.LedgerEntry)
        .join(ledger.LedgerEntry, col(ledger.LedgerEntry.txn_id) == col(ledger.LedgerTransaction.id))
        .where(col(ledger.LedgerEntry.account_id).in_(accounts))
        .order_by(col(ledger.LedgerTransaction.id).desc())
    ).all()
    lines: dict[int, LedgerLine] = {}
    for txn, entry in rows:
        line = lines.get(txn.id) or LedgerLine(
            reason=txn.reason, reason_zh=REASON_ZH.get(txn.reason.removeprefix("refund:"), txn.reason)
            + ("退还" if txn.reason.startswith("refund:") else ""),
            points=0, minutes=0, created_at=txn.created_at,
        )
        if entry.account_id.endswith(":points"):
            line.points += entry.amount
        else:
            line.minutes += entry.amount
        lines[txn.id] = line
    return MyPoints(points=points, minutes=minutes, hours=round(minutes / 60, 1), lines=list(lines.values())[:limit])


def standings(session: Session, *, community_id: str, limit: int = 50) -> list[PublicStanding]:
    """积分公示 per community: confirmed volunteers by points, without ids, work units or full names."""
    volunteers = session.exec(
        select(Volunteer).where(Volunteer.community_id == community_id, Volunteer.status == "confirmed")
    ).all()
    result = []
    for v in volunteers:
        points, minutes = (ledger.balance(session, v.id, u) for u in ledger.UNITS)
        unit = v.kind == "unit"
        result.append(PublicStanding(name=v.name if unit else f"{v.name[:1]}*", party_member=v.party_member, points=points,
                                     hours=round(minutes / 60, 1), unit=unit))
    return sorted(result, key=lambda s: (-s.points, -s.hours))[:limit]

