"""三张清单's 项目清单: staff publish service projects (为老人义剪: place, time, capacity, hours); confirmed volunteers
and 共建单位 of the community sign up (capacity held under a row lock, one signup per person); staff confirm who
attended, which credits hours and points once per signup (ProjectAttendanceConfirmed → the ledger)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from pydantic import ConfigDict, model_validator
from sqlalchemy import Column, DateTime, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from libs.auth.principal import Principal
from libs.events import Actor
from libs.events.wishes import ProjectAttendanceConfirmed, ProjectPublished, ProjectSignedUp, ProjectSignupCancelled
from libs.messaging import record_event
from libs.statemachine import DomainError, NotFound
from services.wishes.commands import actor_of
from services.wishes.domain import STAFF_ROLES, check_staff_scope
from services.wishes.volunteers import confirmed_volunteer

PUBLISHED, CANCELLED = "published", "cancelled"
SIGNED_UP, WITHDRAWN, ATTENDED = "signed_up", "withdrawn", "attended"


class ServiceProject(SQLModel, table=True):
    __tablename__ = "wishes_project"

    id: str = Field(primary_key=True, max_length=36)
    community_id: str = Field(max_length=40, index=True)
    title: str = Field(max_length=60)
    description: str = Field(default="", max_length=500)
    place: str = Field(max_length=100)
    starts_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    ends_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    capacity: int
    hours: float
    status: str = Field(max_length=20, index=True)
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ProjectSignup(SQLModel, table=True):
    __tablename__ = "wishes_project_signup"
    __table_args__ = (UniqueConstraint("project_id", "volunteer_id", name="uq_wishes_project_signup_person"),)

    id: str = Field(primary_key=True, max_length=36)
    project_id: str = Field(foreign_key="wishes_project.id", max_length=36, index=True)
    volunteer_id: str = Field(max_length=80, index=True)
    label: str = Field(max_length=60)  # how the list shows them: 党员志愿者 王* / 共建单位 区实验小学
    status: str = Field(max_length=20)
    signed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    confirmed_by: str | None = Field(default=None, max_length=80)
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ProjectRequest(SQLModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "为老人义剪", "description": "社区理发志愿者为 70 岁以上老人免费理发", "place": "馨然嘉园党群服务中心",
        "starts_at": "2026-12-06T09:00:00+08:00", "ends_at": "2026-12-06T11:30:00+08:00", "capacity": 6, "hours": 2.5,
    }]})
    title: str = Field(min_length=2, max_length=60)
    description: str = Field(default="", max_length=500)
    place: str = Field(min_length=2, max_length=100)
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(ge=1, le=500)
    hours: float = Field(gt=0, le=24)

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "ProjectRequest":
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at: 请带上时区（例如 +08:00）")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: 结束时间应晚于开始时间")
        return self


class SignupPublic(SQLModel):
    id: str
    project_id: str
    label: str
    status: str
    signed_at: datetime
    confirmed_at: datetime | None
    mine: bool = False


class ProjectPublic(SQLModel):
    id: str
    community_id: str
    title: str
    description: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    hours: float
    status: str
    taken: int = 0  # places signed up for (withdrawn ones are free again)
    my_signup: SignupPublic | None = None
    signups: list[SignupPublic] | None = None  # for the community's staff


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    """SQLite hands times back without their zone (stored as UTC); PostgreSQL keeps it."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _actor(principal: Principal) -> Actor:
    return Actor(**principal.actor())


def _taken(session: Session, project_id: str) -> int:
    return session.exec(select(func.count()).select_from(ProjectSignup).where(
        ProjectSignup.project_id == project_id, col(ProjectSignup.status).in_((SIGNED_UP, ATTENDED)))).one()


def _signup_public(row: ProjectSignup, principal: Principal) -> SignupPublic:
    return SignupPublic(**row.model_dump(include=set(SignupPublic.model_fields) - {"mine"}), mine=row.volunteer_id == principal.sub)


def project_view(session: Session, project: ServiceProject, principal: Principal | None) -> ProjectPublic:
    view = ProjectPublic(**project.model_dump(include=set(ProjectPublic.model_fields) - {"taken", "my_signup", "signups"}),
                         taken=_taken(session, project.id))
    if principal is None:
        return view
    rows = list(session.exec(select(ProjectSignup).where(ProjectSignup.project_id == project.id).order_by(col(ProjectSignup.signed_at))))
    mine = next((r for r in rows if r.volunteer_id == principal.sub), None)
    view.my_signup = _signup_public(mine, principal) if mine else None
    staff_here = principal.role in STAFF_ROLES and (principal.role != "community_staff" or principal.community_id == project.community_id)
    if staff_here:
        view.signups = [_signup_public(r, principal) for r in rows]
    return view


def _load(session: Session, project_id: str, *, lock: bool = False) -> ServiceProject:
    query = select(ServiceProject).where(ServiceProject.id == project_id)
    project = session.exec(query.with_for_update() if lock else query).first()
    if project is None:
        raise NotFound(f"服务项目 {project_id} 不存在")
    return project


def publish(session: Session, *, principal: Principal, community_id: str, body: ProjectRequest) -> ServiceProject:
    check_staff_scope(actor_of(principal), community_id)
    project = ServiceProject(id=str(uuid.uuid4()), community_id=community_id, status=PUBLISHED, created_by=principal.sub,
                             created_at=_now(), **body.model_dump())
    session.add(project)
    record_event(session, ProjectPublished(
        project_id=project.id, community_id=community_id, title=project.title, place=project.place,
        starts_at=project.starts_at, ends_at=project.ends_at, capacity=project.capacity, hours=project.hours,
        actor=_actor(principal),
    ))
    return project


def sign_up(session: Session, *, principal: Principal, project_id: str) -> ServiceProject:
    """报名: a confirmed volunteer or unit of the project's community; full (名额已满) or ended projects refuse (409)."""
    project = _load(session, project_id, lock=True)  # the lock serialises sign-ups: never more than the capacity
    volunteer = confirmed_volunteer(session, principal.sub, project.community_id, doing="报名服务项目")
    if project.status != PUBLISHED:
        raise DomainError("服务项目已取消，不能报名")
    if _aware(project.ends_at) <= _now():
        raise DomainError("服务项目已结束，不能报名")
    row = session.exec(select(ProjectSignup).where(
        ProjectSignup.project_id == project.id, ProjectSignup.volunteer_id == principal.sub)).first()
    if row is not None and row.status != WITHDRAWN:
        raise DomainError("您已报名这个服务项目")
    if _taken(session, project.id) >= project.capacity:
        raise DomainError(f"「{project.title}」名额已满")
    if row is None:
        row = ProjectSignup(id=str(uuid.uuid4()), project_id=project.id, volunteer_id=principal.sub, label="", status=SIGNED_UP,
                            signed_at=_now())
    row.status, row.signed_at, row.label = SIGNED_UP, _now(), volunteer.public_label()
    session.add(row)
    record_event(session, ProjectSignedUp(project_id=project.id, community_id=project.community_id, signup_id=row.id,
                                          volunteer_id=principal.sub, actor=_actor(principal)))
    return project


def withdraw(session: Session, *, principal: Principal, project_id: str) -> ServiceProject:
    """取消报名 before the project starts: the place is free again."""
    project = _load(session, project_id, lock=True)
    row = session.exec(select(ProjectSignup).where(
        ProjectSignup.project_id == project.id, ProjectSignup.volunteer_id == principal.sub)).first()
    if row is None or row.status == WITHDRAWN:
        raise DomainError("您没有报名这个服务项目")
    if row.status == ATTENDED or _aware(project.starts_at) <= _now():
        raise DomainError("服务项目已开始，不能取消报名")
    row.status = WITHDRAWN
    session.add(row)
    record_event(session, ProjectSignupCancelled(project_id=project.id, community_id=project.community_id, signup_id=row.id,
                                                 volunteer_id=principal.sub, actor=_actor(principal)))
    return project


def confirm_attendance(session: Session, *, principal: Principal, project_id: str, signup_id: str) -> ServiceProject:
    """签到确认 by the community's staff once the project has started: hours and points follow, once per signup."""
    project = _load(session, project_id, lock=True)
    check_staff_scope(actor_of(principal), project.community_id)
    row = session.exec(select(ProjectSignup).where(ProjectSignup.id == signup_id).with_for_update()).first()
    if row is None or row.project_id != project.id:
        raise NotFound(f"报名记录 {signup_id} 不存在")
    if row.status == ATTENDED:
        raise DomainError("已确认过这位志愿者到场，不能重复确认")
    if row.status != SIGNED_UP:
        raise DomainError("这位志愿者已取消报名，不能确认到场")
    if _aware(project.starts_at) > _now():
        raise DomainError("服务项目还没开始，不能确认到场")
    row.status, row.confirmed_by, row.confirmed_at = ATTENDED, principal.sub, _now()
    session.add(row)
    record_event(session, ProjectAttendanceConfirmed(
        project_id=project.id, community_id=project.community_id, signup_id=row.id, volunteer_id=row.volunteer_id,
        hours=project.hours, actor=_actor(principal),
    ))
    return project


def cancel(session: Session, *, principal: Principal, project_id: str) -> ServiceProject:
    project = _load(session, project_id, lock=True)
    check_staff_scope(actor_of(principal), project.community_id)
    if project.status != PUBLISHED:
        raise DomainError("服务项目已取消")
    project.status = CANCELLED
    session.add(project)
    return project


def of_community(session: Session, *, community_id: str, upcoming_only: bool, limit: int = 100) -> list[ServiceProject]:
    query = select(ServiceProject).where(ServiceProject.community_id == community_id)
    if upcoming_only:
        query = query.where(ServiceProject.status == PUBLISHED, col(ServiceProject.ends_at) > _now())
    return list(session.exec(query.order_by(col(ServiceProject.starts_at)).limit(limit)))


def mine(session: Session, *, principal: Principal) -> list[ProjectPublic]:
    """The projects I signed up for (withdrawn ones too), the soonest first."""
    ids = session.exec(select(ProjectSignup.project_id).where(ProjectSignup.volunteer_id == principal.sub)).all()
    if not ids:
        return []
    rows = session.exec(select(ServiceProject).where(col(ServiceProject.id).in_(ids)).order_by(col(ServiceProject.starts_at)))
    return [project_view(session, p, principal) for p in rows]
