"""吹哨报到 on the department side: each summoned department's task (filled from DepartmentsSummoned), its check-in on
site (报到: who, when, where; late past the on-site due time or farther than DEPARTMENT_CHECKIN_RADIUS_M from the
place), its completion, and the rule that the lead resolves the ticket only after every co-task is completed.

A department acts only on its own task: the task is looked up by the caller's department, so another department's
staff find nothing to check in or complete (404)."""
from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.directory import get_directory
from libs.events import (
    Actor,
    CallbackRequested,
    DeadlineWarned,
    DepartmentsSummoned,
    Event,
    StageDeadlineSet,
    SummonsCheckedIn,
    SummonsTaskCompleted,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketMerged,
    TicketReopened,
    TicketSettledOnSpot,
)
from libs.messaging import Handlers, record_event
from libs.statemachine import DomainError, NotFound, Rejected
from libs.ticket import Stage
from libs.ticket.stages import SUMMONS_STAGES
from libs.ticket.table import follow_event
from services.department.models import DepartmentTicket
from services.department.summons_models import DepartmentSummonsTask, SummonsTaskPublic

SERVICE = "department"
LEAD, CO = "lead", "co"
EARTH_RADIUS_M = 6_371_008.8


class CheckInSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPARTMENT_", extra="ignore")
    checkin_radius_m: float = Field(default=500.0, gt=0)  # DEPARTMENT_CHECKIN_RADIUS_M: farther from the place is late


@lru_cache(maxsize=1)
def get_checkin_settings() -> CheckInSettings:
    return CheckInSettings()


def now() -> datetime:
    return datetime.now(timezone.utc)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in meters between two WGS-84 points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def department_name(department_id: str) -> str:
    department = get_directory().department(department_id)
    return department.name if department else department_id


def to_public(task: DepartmentSummonsTask, at: datetime | None = None) -> SummonsTaskPublic:
    left = (task.on_site_due - (at or now())).total_seconds()
    return SummonsTaskPublic(**task.model_dump(), seconds_to_on_site_due=math.floor(left))


# --------------------------------------------------------------------------- reads and commands


def list_tasks(session: Session, *, principal: Principal, open_only: bool = True, limit: int = 50, offset: int = 0) -> list[DepartmentSummonsTask]:
    """My department's summons tasks: open ones first by on-site due time (what is most urgent on top)."""
    query = select(DepartmentSummonsTask).where(DepartmentSummonsTask.department_id == (principal.department_id or ""))
    if open_only:
        query = query.where(col(DepartmentSummonsTask.open)).where(col(DepartmentSummonsTask.completed_at).is_(None))
    query = query.order_by(col(DepartmentSummonsTask.open).desc(), col(DepartmentSummonsTask.on_site_due))
    return list(session.exec(query.offset(offset).limit(limit)))


def get_task(session: Session, *, principal: Principal, summons_id: str, lock: bool = False) -> DepartmentSummonsTask:
    query = select(DepartmentSummonsTask).where(
        DepartmentSummonsTask.summons_id == summons_id, DepartmentSummonsTask.department_id == (principal.department_id or "")
    )
    task = session.exec(query.with_for_update() if lock else query).first()
    if task is None:
        raise NotFound(f"summons {summons_id!r}: 本部门未被此次吹哨召集")
    return task


def _check_open(task: DepartmentSummonsTask) -> None:
    if not task.open:
        raise DomainError("此次吹哨报到已结束（工单已办结、退单或改派）")
    if task.completed_at is not None:
        raise DomainError(f"本部门的任务已于 {task.completed_at.isoformat()} 完成")


def check_in(
    session: Session, *, principal: Principal, summons_id: str, latitude: float | None, longitude: float | None, note: str | None
) -> DepartmentSummonsTask:
    """报到: who (the caller), when (now), where (the device's position, or a note without one); late past the on-site
    due time or farther than the radius from the place."""
    task = get_task(session, principal=principal, summons_id=summons_id, lock=True)
    _check_open(task)
    if task.checked_in_at is not None:
        raise DomainError(f"本部门已于 {task.checked_in_at.isoformat()} 报到")
    if (latitude is None) != (longitude is None):
        raise Rejected("latitude: 位置需同时包含纬度和经度")
    if latitude is None and not (note and note.strip()):
        raise Rejected("note: 未获取到定位，请填写所在位置说明")
    at = now()
    distance = None
    if latitude is not None and longitude is not None and task.latitude is not None and task.longitude is not None:
        distance = round(distance_m(task.latitude, task.longitude, latitude, longitude), 1)
    late = at > task.on_site_due or (distance is not None and distance > get_checkin_settings().checkin_radius_m)
    task.checked_in_at, task.checked_in_by = at, principal.sub
    task.check_in_latitude, task.check_in_longitude, task.distance_m = latitude, longitude, distance
    task.check_in_note, task.late = note, late
    if task.role == LEAD:
        task.warned, task.escalation_level = False, 0  # the lead's only clock was the check-in
    session.add(task)
    record_event(session, SummonsCheckedIn(
        ticket_id=task.ticket_id, actor=Actor(**principal.actor()), occurred_at=at, summons_id=summons_id,
        department_id=task.department_id, latitude=latitude, longitude=longitude, distance_m=distance, late=late, note=note,
    ))
    return task


def complete_task(session: Session, *, principal: Principal, summons_id: str, note: str) -> DepartmentSummonsTask:
    """A co-department's task done (after its check-in); the lead's task is the ticket itself (办结)."""
    task = get_task(session, principal=principal, summons_id=summons_id, lock=True)
    _check_open(task)
    if task.role == LEAD:
        raise DomainError("牵头部门的任务即办结工单：全部协办任务完成后，请在工单上办结")
    if task.checked_in_at is None:
        raise DomainError("请先到场报到，再登记任务完成")
    task.completed_at, task.completed_by, task.completion_note = now(), principal.sub, note
    task.warned, task.escalation_level = False, 0
    session.add(task)
    record_event(session, SummonsTaskCompleted(
        ticket_id=task.ticket_id, actor=Actor(**principal.actor()), occurred_at=task.completed_at, summons_id=summons_id,
        department_id=task.department_id, note=note,
    ))
    return task


def open_co_tasks(session: Session, ticket_id: str) -> list[DepartmentSummonsTask]:
    query = select(DepartmentSummonsTask).where(
        DepartmentSummonsTask.ticket_id == ticket_id, col(DepartmentSummonsTask.open), DepartmentSummonsTask.role == CO,
        col(DepartmentSummonsTask.completed_at).is_(None),
    )
    return list(session.exec(query.order_by(col(DepartmentSummonsTask.id))))


def check_co_tasks_done(session: Session, ticket_id: str) -> None:
    """The lead resolves only after every co-task is completed: a 409 naming the open ones."""
    if tasks := open_co_tasks(session, ticket_id):
        names = "、".join(f"{department_name(t.department_id)}（{'已到场' if t.checked_in_at else '未报到'}）" for t in tasks)
        raise DomainError(f"吹哨报到的协办任务尚未完成：{names}；全部完成后才能办结")


def end_summonses(session: Session, ticket_id: str) -> None:
    """The lead no longer holds the ticket as summoned (办结, 退单, 改派, reopened, closed): its summonses end."""
    for task in session.exec(select(DepartmentSummonsTask).where(DepartmentSummonsTask.ticket_id == ticket_id, col(DepartmentSummonsTask.open))):
        task.open = False
        session.add(task)


# --------------------------------------------------------------------------- consumers


def on_summoned(session: Session, event: DepartmentsSummoned) -> None:
    """One task per summoned department (a redelivery adds nothing); the lead's worklist ticket folds the summons."""
    for department in event.department_ids:
        exists = session.exec(select(DepartmentSummonsTask.id).where(
            DepartmentSummonsTask.summons_id == event.summons_id, DepartmentSummonsTask.department_id == department
        )).first()
        if exists is not None:
            continue
        session.add(DepartmentSummonsTask(
            summons_id=event.summons_id, ticket_id=event.ticket_id, department_id=department,
            role=LEAD if department == event.lead_department_id else CO, community_id=event.community_id,
            lead_department_id=event.lead_department_id, co_department_ids=list(event.co_department_ids), title=event.title,
            address=event.address, latitude=event.latitude, longitude=event.longitude, reason=event.reason,
            joint_handling=event.joint_handling, summoned_by=event.actor.id, summoned_at=event.occurred_at,
            on_site_due=event.on_site_due,
        ))
    _follow(session, event)


def _follow(session: Session, event: Event) -> None:
    ticket = session.get(DepartmentTicket, event.ticket_id, with_for_update=True)  # see consumers._held
    if ticket is not None:
        follow_event(session, ticket, event, service=SERVICE)


def on_summons_notice(session: Session, event: StageDeadlineSet | DeadlineWarned | TicketEscalated) -> None:
    """时限 / 催办 / 督办 of one department's check-in or co-task: that department's open task shows it."""
    if event.stage not in SUMMONS_STAGES:
        return
    query = select(DepartmentSummonsTask).where(
        DepartmentSummonsTask.ticket_id == event.ticket_id, DepartmentSummonsTask.department_id == (event.department_id or ""),
        col(DepartmentSummonsTask.open),
    )
    task = session.exec(query.order_by(col(DepartmentSummonsTask.id).desc())).first()
    if task is not None and task.completed_at is None and (event.stage == Stage.co_task or task.checked_in_at is None):
        if isinstance(event, StageDeadlineSet):
            if event.stage == Stage.co_task:
                task.task_due, task.warned, task.escalation_level = event.deadline, False, 0
        elif isinstance(event, DeadlineWarned):
            task.warned = True
        else:
            task.escalation_level = max(task.escalation_level, event.level)
        session.add(task)
    _follow(session, event)


def on_ticket_left_lead(session: Session, event: Event) -> None:
    end_summonses(session, event.ticket_id)


# Event class -> the summons part of its handling; `with_summons` runs it after the worklist's own handler.
SUMMONS_HANDLERS: dict[type[Event], Callable[[Session, Any], None]] = {
    DepartmentsSummoned: on_summoned,
    SummonsCheckedIn: _follow,
    SummonsTaskCompleted: _follow,
    StageDeadlineSet: on_summons_notice,
    DeadlineWarned: on_summons_notice,
    TicketEscalated: on_summons_notice,
    **dict.fromkeys((TicketDispatched, TicketSettledOnSpot, TicketReopened, TicketClosed, TicketMerged, CallbackRequested), on_ticket_left_lead),
}


def with_summons(handlers: Handlers) -> Handlers:
    """The department's handlers with the summons part added (both run, in one transaction)."""
    combined = dict(handlers)
    for cls, extra in SUMMONS_HANDLERS.items():
        own = handlers.get(cls)
        combined[cls] = extra if own is None else _both(own, extra)
    return combined


def _both(first: Callable[[Session, Any], None], then: Callable[[Session, Any], None]) -> Callable[[Session, Any], None]:
    def handle(session: Session, event: Any) -> None:
        first(session, event)
        then(session, event)
    return handle
