"""吹哨报到 on the leadership dashboard, from the events only: how many summonses, and each department's on-time
check-in rate (报到准时率).

One row per summoned department of a summons (DepartmentsSummoned), completed by its SummonsCheckedIn. A check-in is on
time unless it was late (past the on-site due time or beyond the radius, as the department service judged it); a
department that has not checked in by its due time counts as missed (not on time) from that moment on; one still
before its due time is not counted yet."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, UniqueConstraint, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

from libs.directory import get_directory
from libs.events import DepartmentsSummoned, SummonsCheckedIn
from services.dashboard.access import Visibility


class DashboardSummonsDepartment(SQLModel, table=True):
    __tablename__ = "dashboard_summons_department"
    __table_args__ = (UniqueConstraint("summons_id", "department_id", name="uq_dashboard_summons_department"),)

    id: int | None = Field(default=None, primary_key=True)
    summons_id: str = Field(max_length=40, index=True)
    ticket_id: str = Field(max_length=40)
    community_id: str = Field(max_length=40, index=True)
    department_id: str = Field(max_length=40, index=True)
    role: str = Field(max_length=10)  # lead | co
    joint_handling: bool = False
    summoned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))  # period figures
    on_site_due: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    checked_in_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    late: bool | None = None


class DepartmentCheckIns(SQLModel):
    department_id: str
    name: str
    summoned: int  # times summoned (lead or co)
    checked_in: int
    on_time: int
    late: int  # checked in late (past the due time or beyond the radius)
    missed: int  # not checked in and past the due time
    on_time_rate: float | None  # on_time / (checked_in + missed); None before any is due


class SummonsStats(SQLModel):
    summonses: int
    joint_handling: int  # of them opened for a ticket whose second rating failed (联席办)
    departments: list[DepartmentCheckIns]


def on_summoned(session: Session, event: DepartmentsSummoned) -> None:
    for department in event.department_ids:
        exists = session.exec(select(DashboardSummonsDepartment.id).where(
            DashboardSummonsDepartment.summons_id == event.summons_id, DashboardSummonsDepartment.department_id == department
        )).first()
        if exists is None:
            session.add(DashboardSummonsDepartment(
                summons_id=event.summons_id, ticket_id=event.ticket_id, community_id=event.community_id,
                department_id=department, role="lead" if department == event.lead_department_id else "co",
                joint_handling=event.joint_handling, summoned_at=event.occurred_at, on_site_due=event.on_site_due,
            ))


def on_checked_in(session: Session, event: SummonsCheckedIn) -> None:
    row = session.exec(select(DashboardSummonsDepartment).where(
        DashboardSummonsDepartment.summons_id == event.summons_id, DashboardSummonsDepartment.department_id == event.department_id
    )).first()
    if row is not None and row.checked_in_at is None:
        row.checked_in_at, row.late = event.occurred_at, event.late
        session.add(row)


def summons_stats(session: Session, *, seen: Visibility, community_id: str | None = None, now: datetime | None = None) -> SummonsStats:
    """The summonses this caller may see (leadership: all or one community; community staff: their community;
    department staff: their own department's check-ins), counted by the database."""
    now = now or datetime.now(timezone.utc)
    t = DashboardSummonsDepartment
    checked = col(t.checked_in_at).is_not(None)
    columns = (t.department_id, func.count(), func.count(t.checked_in_at),
               func.count().filter(checked, or_(col(t.late).is_(None), t.late == False)),  # noqa: E712 - SQL
               func.count().filter(col(t.checked_in_at).is_(None), t.on_site_due < now))
    query = sa_select(*columns).group_by(t.department_id)
    totals = sa_select(func.count(func.distinct(t.summons_id)), func.count(func.distinct(t.summons_id)).filter(t.joint_handling == True))  # noqa: E712
    if community_id:
        query, totals = query.where(t.community_id == community_id), totals.where(t.community_id == community_id)
    query, totals = seen.filter_tickets(query, t), seen.filter_tickets(totals, t)
    directory = get_directory()
    departments = []
    for department_id, summoned, checked_in, on_time, missed in session.execute(query):
        known = checked_in + missed
        found = directory.department(department_id)
        departments.append(DepartmentCheckIns(
            department_id=department_id, name=found.name if found else department_id, summoned=summoned,
            checked_in=checked_in, on_time=on_time, late=checked_in - on_time, missed=missed,
            on_time_rate=round(on_time / known, 4) if known else None,
        ))
    departments.sort(key=lambda d: (d.on_time_rate is None, -(d.on_time_rate or 0), d.department_id))
    summonses, joint = session.execute(totals).one()
    return SummonsStats(summonses=int(summonses), joint_handling=int(joint or 0), departments=departments)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite hands back naive times


def period_counts(session: Session, start: datetime, end: datetime, *, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """吹哨报到 figures of the summonses made between `start` and `end` (rates.py turns them into rates), counted by
    the database: `department:<id>` -> summoned, summons_checked_in, summons_on_time, summons_missed (past due, no
    check-in); `community:<id>` and `all` -> summonses (distinct), summonses_joint (联席办). Zero figures are left out."""
    now = now or datetime.now(timezone.utc)
    t = DashboardSummonsDepartment
    in_period = (t.summoned_at >= start, t.summoned_at <= end)
    checked = col(t.checked_in_at).is_not(None)
    per_department = session.execute(sa_select(
        t.department_id, func.count(), func.count(t.checked_in_at),
        func.count().filter(checked, or_(col(t.late).is_(None), t.late == False)),  # noqa: E712 - SQL
        func.count().filter(col(t.checked_in_at).is_(None), t.on_site_due < now),
    ).where(*in_period).group_by(t.department_id)).all()
    per_community = session.execute(sa_select(
        t.community_id, func.count(func.distinct(t.summons_id)), func.count(func.distinct(t.summons_id)).filter(t.joint_handling == True),  # noqa: E712
    ).where(*in_period).group_by(t.community_id)).all()
    result: dict[str, dict[str, int]] = {}
    for department, summoned, checked_in, on_time, missed in per_department:
        figures = {"summoned": summoned, "summons_checked_in": checked_in, "summons_on_time": on_time, "summons_missed": missed}
        result[f"department:{department}"] = {k: int(v) for k, v in figures.items() if v}
    for community, summonses, joint in per_community:
        result[f"community:{community}"] = {"summonses": int(summonses), "summonses_joint": int(joint)}
        district = result.setdefault("all", {"summonses": 0, "summonses_joint": 0})
        district["summonses"] += int(summonses)
        district["summonses_joint"] += int(joint)
    return result
