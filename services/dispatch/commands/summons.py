"""吹哨报到: community staff of the ticket's community (or a supervisor of the street) summon a lead department and
co-departments to the ticket's place; each must check in on site within the policy's `joint_on_site` span.

On a ticket the community holds (filed, returned, reopened) the summons also dispatches it to the lead (TicketDispatched,
then DepartmentsSummoned, in one transaction and in that order on the ticket's partition); on a ticket a department
holds, the lead is that department. A second failed rating (联席办) is one way in: the console proposes the previous
department as the lead."""
from __future__ import annotations

import uuid

from sqlmodel import Session

from libs.auth.principal import Principal
from libs.directory import Directory, get_directory
from libs.events import Actor, DepartmentsSummoned, TicketDispatched
from libs.sla.calendar import deadline, load_calendar
from libs.sla.policy import SlaPolicy
from libs.statemachine import DomainError, Forbidden, Rejected
from libs.ticket import AWAITING_COMMUNITY, OPEN_FOR_DEPARTMENT, TicketStatus
from libs.ticket.summons import open_tasks
from libs.ticket.table import commit_event
from services.dispatch import domain
from services.dispatch.commands import load_ticket, now
from services.dispatch.commands.admin import current_calendar, current_sla_policy
from services.dispatch.models import DispatchTicket
from services.dispatch.summons_models import SummonsRequest

MAX_CO_DEPARTMENTS = 8


def _name(directory: Directory, department_id: str) -> str:
    department = directory.department(department_id)
    return department.name if department else department_id


def check_summons(directory: Directory, ticket: DispatchTicket, lead: str, co: list[str]) -> None:
    """The rules of a summons beyond scope: departments the district has, a lead that can take the ticket, no second
    summons while one runs. Chinese messages, each naming the field."""
    for field, ids in (("lead_department_id", [lead]), ("co_department_ids", co)):
        for department_id in ids:
            if directory.department(department_id) is None:
                raise Rejected(f"{field}: 没有编号为 {department_id!r} 的部门")
            if not directory.serves(department_id, ticket.community_id):
                raise Rejected(f"{field}: {_name(directory, department_id)}是其他街道的部门，不办理本街道的诉求")
    if not co:
        raise Rejected("co_department_ids: 请至少选择一个协办部门")
    if lead in co or len(set(co)) != len(co):
        raise Rejected("co_department_ids: 协办部门不能重复，也不能是牵头部门")
    if len(co) > MAX_CO_DEPARTMENTS:
        raise Rejected(f"co_department_ids: 协办部门最多 {MAX_CO_DEPARTMENTS} 个")
    status = TicketStatus(ticket.status)
    if status not in AWAITING_COMMUNITY | OPEN_FOR_DEPARTMENT:
        raise DomainError(f"工单状态为“{status.value}”，只能对办理中的工单吹哨报到")
    if ticket.suspended:
        raise DomainError("工单已挂起，时限暂停，恢复后才能吹哨报到")
    if status in OPEN_FOR_DEPARTMENT and ticket.department_id != lead:
        held = _name(directory, ticket.department_id or "")
        raise DomainError(f"lead_department_id: 工单正由{held}办理，牵头部门应为{held}；如需换部门请先改派")
    if tasks := open_tasks(ticket.view()):
        names = "、".join(_name(directory, d) for _, d, _ in tasks)
        raise DomainError(f"已有进行中的吹哨报到（{names}尚未完成），请等其结束后再发起")


def check_caller(principal: Principal, directory: Directory) -> None:
    """A supervisor summons for a street of the district (load_ticket checks the ticket is in theirs, as it checks the
    community for community staff)."""
    if principal.role == "supervisor" and directory.street(principal.street_id) is None:
        raise Forbidden(f"street: {principal.street_id!r} is not a street of the district")


def on_site_due(session: Session):  # noqa: ANN201 - a datetime
    """Now plus the current policy's `joint_on_site` (the calendar counts it if the admin made it working time)."""
    policy = SlaPolicy.parse(current_sla_policy(session).document)
    overrides = current_calendar(session)
    calendar = load_calendar(extra={"holidays": overrides.holidays, "workdays": overrides.workdays, "remove": overrides.remove})
    return deadline(calendar, now(), policy.joint_on_site.amount, policy.joint_on_site.unit)


def summon_departments(
    session: Session, *, principal: Principal, ticket_id: str, lead_department_id: str | None, co_department_ids: list[str],
    latitude: float | None, longitude: float | None, address: str | None, reason: str,
) -> DispatchTicket:
    """吹哨: stage (TicketDispatched to the lead, if the community holds the ticket, then) DepartmentsSummoned."""
    body = SummonsRequest(
        lead_department_id=lead_department_id, co_department_ids=co_department_ids, latitude=latitude, longitude=longitude,
        address=address, reason=reason,
    )
    directory = get_directory()
    check_caller(principal, directory)
    ticket = load_ticket(session, principal, ticket_id)
    domain.check_placed(directory, ticket.community_id)
    lead = body.lead_department_id or ticket.department_id or ticket.proposed_department_id or ""
    if not lead:
        raise Rejected("lead_department_id: 请选择牵头部门")
    co = list(body.co_department_ids)
    check_summons(directory, ticket, lead, co)
    actor = Actor(**principal.actor())
    # 联席办: the summons a second failed rating asked for (the ticket is back with the community, reopened).
    joint = ticket.joint_handling and TicketStatus(ticket.status) == TicketStatus.reopened
    if TicketStatus(ticket.status) in AWAITING_COMMUNITY:
        note = f"吹哨报到：{body.reason}"
        dispatch = TicketDispatched(
            **ticket.model_dump(include=TicketDispatched.TICKET_FIELDS), ticket_id=ticket.id, actor=actor, department_id=lead,
            note=note[:500],
        )
        ticket.department_id = lead
        commit_event(session, ticket, dispatch)
    event = DepartmentsSummoned(
        ticket_id=ticket.id, actor=actor, summons_id=f"S-{uuid.uuid4().hex[:12]}", community_id=ticket.community_id,
        lead_department_id=lead, co_department_ids=tuple(co), title=ticket.title,
        latitude=body.latitude if body.latitude is not None else ticket.latitude,
        longitude=body.longitude if body.longitude is not None else ticket.longitude,
        address=body.address or ticket.address, reason=body.reason, on_site_due=on_site_due(session), joint_handling=joint,
    )
    return commit_event(session, ticket, event)
