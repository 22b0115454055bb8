"""吹哨报到 on the leadership dashboard, from the events only: how many summonses, and each department's on-time
check-in rate (报到准时率).

One row per summoned department of a summons (DepartmentsSummoned), completed by its SummonsCheckedIn. A check-in is on
time unless it was late (past the on-site due time or beyond the radius, as the department service judged it); a
department that has not checked in by its due time counts as missed (not on time) from that moment on; one still
before its due time is not counted yet."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

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
    department staff: their own department's check-ins)."""
    now = now or datetime.now(timezone.utc)
    query = select(DashboardSummonsDepartment)
    if community_id:
        query = query.where(DashboardSummonsDepartment.community_id == community_id)
    query = seen.filter_tickets(query, DashboardSummonsDepartment)
    rows = list(session.exec(query))
    by_department: dict[str, list[DashboardSummonsDepartment]] = {}
    for row in rows:
        by_department.setdefault(row.department_id, []).append(row)
    directory = get_directory()
    departments = []
    for department_id, mine in sorted(by_department.items()):
        checked = [r for r in mine if r.checked_in_at is not None]
        on_time = sum(1 for r in checked if not r.late)
        missed = sum(1 for r in mine if r.checked_in_at is None and _aware(r.on_site_due) < now)
        known = len(checked) + missed
        found = directory.department(department_id)
        departments.append(DepartmentCheckIns(
            department_id=department_id, name=found.name if found else department_id, summoned=len(mine),
            checked_in=len(checked), on_time=on_time, late=len(checked) - on_time, missed=missed,
            on_time_rate=round(on_time / known, 4) if known else None,
        ))
    departments.sort(key=lambda d: (d.on_time_rate is None, -(d.on_time_rate or 0), d.department_id))
    summonses = {r.summons_id: r.joint_handling for r in rows}
    return SummonsStats(summonses=len(summonses), joint_handling=sum(summonses.values()), departments=departments)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite hands back naive times


def period_counts(session: Session, start: datetime, end: datetime, *, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """吹哨报到 figures of the summonses made between `start` and `end` (rates.py turns them into rates):
    `department:<id>` -> summoned, summons_checked_in, summons_on_time, summons_missed (past due, no check-in);
    `community:<id>` and `all` -> summonses (distinct), summonses_joint (联席办)."""
    now = now or datetime.now(timezone.utc)
    rows = session.exec(select(
        DashboardSummonsDepartment.summons_id, DashboardSummonsDepartment.community_id, DashboardSummonsDepartment.department_id,
        DashboardSummonsDepartment.joint_handling, DashboardSummonsDepartment.checked_in_at, DashboardSummonsDepartment.late,
        DashboardSummonsDepartment.on_site_due,
    ).where(DashboardSummonsDepartment.summoned_at >= start, DashboardSummonsDepartment.summoned_at <= end)).all()
    result: dict[str, dict[str, int]] = {}
    seen: set[str] = set()

    def add(scope: str, metric: str, delta: int = 1) -> None:
        figures = result.setdefault(scope, {})
        figures[metric] = figures.get(metric, 0) + delta

    for summons_id, community_id, department_id, joint, checked_in_at, late, due in rows:
        scope = f"department:{department_id}"
        add(scope, "summoned")
        if checked_in_at is not None:
            add(scope, "summons_checked_in")
            add(scope, "summons_on_time", int(not late))
        elif _aware(due) < now:
            add(scope, "summons_missed")
        if summons_id not in seen:
            seen.add(summons_id)
            for area in ("all", f"community:{community_id}"):
                add(area, "summonses")
                add(area, "summonses_joint", int(joint))
    return result
