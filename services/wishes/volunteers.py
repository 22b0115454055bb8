"""在职党员回社区报到: a volunteer registers with a home community, which confirms them before they claim wishes."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.directory import get_directory
from libs.events import Actor
from libs.events.wishes import VolunteerConfirmed, VolunteerRegistered
from libs.messaging import record_event
from libs.statemachine import DomainError, Forbidden, NotFound, Rejected
from services.wishes import domain
from services.wishes.models import Volunteer, VolunteerRequest

PENDING, CONFIRMED = "pending", "confirmed"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def register(session: Session, *, principal: Principal, body: VolunteerRequest) -> Volunteer:
    """报到 (again): a new registration, or a changed one, waits for the community's confirmation."""
    if principal.role != "volunteer":
        raise Forbidden("只有志愿者账号可以报到")
    if get_directory().community(body.community_id) is None:
        raise Rejected(f"community_id: 没有这个社区（{body.community_id}）")
    if principal.community_id and principal.community_id != body.community_id:
        raise Forbidden("您的账号属于另一个社区，请到该社区报到")
    skills = [s.strip() for s in body.skills if s.strip()]
    if any(len(s) > 20 for s in skills):
        raise Rejected("skills: 每项特长最多 20 个字")
    if body.kind == "unit" and body.unit_type is None:
        raise Rejected("unit_type: 请选择共建单位的类型（企业、学校、机关单位或其他）")
    volunteer = session.get(Volunteer, principal.sub)
    fields = dict(
        name=body.name, community_id=body.community_id, work_unit=body.work_unit,
        skills=skills, availability=body.availability, kind=body.kind,
        unit_type=body.unit_type if body.kind == "unit" else None,
        party_member=body.party_member and body.kind == "person",  # a unit is no party member; its people report alone
    )
    if volunteer is None:
        volunteer = Volunteer(id=principal.sub, status=PENDING, registered_at=_now(), **fields)
    else:
        changed = {k for k, v in fields.items() if getattr(volunteer, k) != v}
        for key, value in fields.items():
            setattr(volunteer, key, value)
        if changed & {"community_id", "party_member", "work_unit", "kind", "name"}:
            volunteer.status, volunteer.confirmed_by, volunteer.confirmed_at = PENDING, None, None
    session.add(volunteer)
    record_event(session, VolunteerRegistered(
        volunteer_id=volunteer.id, community_id=volunteer.community_id, party_member=volunteer.party_member,
        work_unit=volunteer.work_unit, skills=tuple(skills), kind=volunteer.kind, unit_type=volunteer.unit_type,
        actor=Actor(**principal.actor()),
    ))
    return volunteer


def confirm(session: Session, *, principal: Principal, volunteer_id: str) -> Volunteer:
    """The home community confirms the registration (报到确认)."""
    volunteer = session.exec(select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()).first()
    if volunteer is None:
        raise NotFound(f"志愿者 {volunteer_id} 没有报到")
    domain.check_staff_scope(domain.Actor(principal.sub, principal.role, principal.community_id, principal.street_id), volunteer.community_id)
    if volunteer.status == CONFIRMED:
        raise DomainError("这位志愿者已确认报到，不能重复确认")
    volunteer.status, volunteer.confirmed_by, volunteer.confirmed_at = CONFIRMED, principal.sub, _now()
    session.add(volunteer)
    record_event(session, VolunteerConfirmed(
        volunteer_id=volunteer.id, community_id=volunteer.community_id, actor=Actor(**principal.actor()),
    ))
    return volunteer


def me(session: Session, *, principal: Principal) -> Volunteer:
    volunteer = session.get(Volunteer, principal.sub)
    if volunteer is None:
        raise NotFound("您还没有到社区报到")
    return volunteer


def of_community(session: Session, *, principal: Principal, community_id: str, status: str | None) -> list[Volunteer]:
    domain.check_staff_scope(domain.Actor(principal.sub, principal.role, principal.community_id, principal.street_id), community_id)
    query = select(Volunteer).where(Volunteer.community_id == community_id)
    if status:
        query = query.where(Volunteer.status == status)
    return list(session.exec(query.order_by(col(Volunteer.registered_at))))


def confirmed_volunteer(session: Session, volunteer_id: str, community_id: str, doing: str = "认领心愿") -> Volunteer:
    """The claimant's confirmed registration in the wish's (or project's) community, or the reason they may not yet."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.community_id != community_id:
        raise Forbidden(f"请先到本社区报到，经社区确认后再{doing}")
    if volunteer.status != CONFIRMED:
        raise Forbidden(f"您的报到还在等待社区确认，确认后才能{doing}")
    return volunteer
