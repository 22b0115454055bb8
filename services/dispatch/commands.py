"""Dispatch use cases: triage by the community (派单, 即办, 合并), supervision (挂起, 延期审批), admin SLA policy
and calendar, and the events that keep its view current."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from libs.auth import Principal, require_scope
from libs.directory import get_directory
from libs.events import (
    Actor,
    CalendarAdjusted,
    DeadlineWarned,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    SlaPolicyPublished,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketMerged,
    TicketReopened,
    TicketResumed,
    TicketReturned,
    TicketSettledOnSpot,
    TicketSuspended,
)
from libs.messaging import record_event
from libs.sla.calendar import load_calendar
from libs.sla.policy import load_policy
from libs.statemachine import DomainError, NotFound
from libs.ticket import STATUS_AFTER_EVENT, TicketStatus
from services.dispatch import domain
from services.dispatch.domain import ExtensionDecision
from services.dispatch.models import (
    CalendarOverrides,
    CalendarPublic,
    DispatchCalendar,
    DispatchExtension,
    DispatchReturn,
    DispatchSlaPolicy,
    DispatchTicket,
    GrantRequest,
    SlaPolicyPublic,
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _load(session: Session, principal: Principal, ticket_id: str) -> DispatchTicket:
    ticket = session.get(DispatchTicket, ticket_id, with_for_update=True)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id!r} not found")
    require_scope(principal, community_id=ticket.community_id)
    return ticket


def dispatch_ticket(
    session: Session, *, principal: Principal, ticket_id: str, department_id: str, note: str | None
) -> DispatchTicket:
    """派单 (or 改派 after a return): stage TicketDispatched for the department."""
    ticket = _load(session, principal, ticket_id)
    ticket.status = domain.dispatch(TicketStatus(ticket.status), get_directory(), department_id).value
    ticket.department_id = department_id
    ticket.escalation_level, ticket.escalation_stage = 0, None  # the dispatch stage is over; its escalations are settled
    ticket.warnings = domain.warnings_after(ticket.warnings, "TicketDispatched")
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(
        session,
        TicketDispatched(
            ticket_id=ticket.id,
            actor=Actor(**principal.actor()),
            community_id=ticket.community_id,
            department_id=department_id,
            note=note,
            kind=ticket.kind,
            title=ticket.title,
            description=ticket.description,
            category=ticket.category,
            urgency=ticket.urgency,
            address=ticket.address,
            grid_id=ticket.grid_id,
            anonymous=ticket.anonymous,
            reporter_phone_masked=ticket.reporter_phone_masked,
        ),
    )
    return ticket


def settle_on_spot(session: Session, *, principal: Principal, ticket_id: str, note: str) -> DispatchTicket:
    """即办件当场结: stage TicketSettledOnSpot; the resident rates it next."""
    ticket = _load(session, principal, ticket_id)
    ticket.status = domain.settle_on_spot(TicketStatus(ticket.status)).value
    ticket.settle_note = note
    ticket.escalation_level, ticket.escalation_stage = 0, None
    ticket.warnings = domain.warnings_after(ticket.warnings, "TicketSettledOnSpot")
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(
        session,
        TicketSettledOnSpot(
            ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=ticket.community_id, note=note
        ),
    )
    return ticket


def merge_ticket(session: Session, *, principal: Principal, ticket_id: str, into_ticket_id: str) -> DispatchTicket:
    """合并: a duplicate joins the ticket it repeats; its own life ends (the resident follows the other one)."""
    ticket = _load(session, principal, ticket_id)
    target = session.get(DispatchTicket, into_ticket_id)
    if target is None:
        raise NotFound(f"into_ticket_id: ticket {into_ticket_id!r} not found")
    ticket.status = domain.merge(
        TicketStatus(ticket.status),
        ticket_id=ticket.id,
        community_id=ticket.community_id,
        into_ticket_id=target.id,
        into_community_id=target.community_id,
        into_status=TicketStatus(target.status),
    ).value
    ticket.merged_into = target.id
    ticket.warnings = {}
    ticket.escalation_level, ticket.escalation_stage = 0, None
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(
        session,
        TicketMerged(ticket_id=ticket.id, actor=Actor(**principal.actor()), community_id=ticket.community_id, merged_into=target.id),
    )
    return ticket


def suspend_ticket(session: Session, *, principal: Principal, ticket_id: str, reason: str) -> DispatchTicket:
    """挂起: every deadline of the ticket stops until it resumes."""
    ticket = _load(session, principal, ticket_id)
    domain.suspend(TicketStatus(ticket.status), ticket.suspended)
    ticket.suspended, ticket.suspend_reason = True, reason
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(session, TicketSuspended(ticket_id=ticket.id, actor=Actor(**principal.actor()), reason=reason))
    return ticket


def resume_ticket(session: Session, *, principal: Principal, ticket_id: str, note: str | None) -> DispatchTicket:
    """恢复: deadlines run again, moved by the time spent suspended."""
    ticket = _load(session, principal, ticket_id)
    domain.resume(ticket.suspended)
    ticket.suspended, ticket.suspend_reason = False, None
    ticket.updated_at = _now()
    session.add(ticket)
    record_event(session, TicketResumed(ticket_id=ticket.id, actor=Actor(**principal.actor()), note=note))
    return ticket


def list_extensions(session: Session, *, status: str | None, limit: int, offset: int) -> list[DispatchExtension]:
    query = select(DispatchExtension)
    if status:
        query = query.where(DispatchExtension.status == status)
    return list(session.exec(query.order_by(col(DispatchExtension.requested_at)).offset(offset).limit(limit)))


def _load_extension(session: Session, request_event_id: str) -> tuple[DispatchExtension, DispatchTicket | None]:
    extension = session.get(DispatchExtension, request_event_id, with_for_update=True)
    if extension is None:
        raise NotFound(f"extension request {request_event_id!r} not found")
    return extension, session.get(DispatchTicket, extension.ticket_id)


def grant_extension(
    session: Session, *, principal: Principal, request_event_id: str, body: GrantRequest
) -> DispatchExtension:
    """批准延期: the resolution deadline moves by the granted time (default: what was asked)."""
    extension, ticket = _load_extension(session, request_event_id)
    ticket_status = TicketStatus(ticket.status) if ticket else TicketStatus.accepted
    extension.status = domain.decide_extension(
        ExtensionDecision(extension.status), ExtensionDecision.granted, ticket_status
    ).value
    extension.granted_amount = body.amount or extension.amount
    extension.granted_unit = body.unit or extension.unit
    extension.decision_note, extension.decided_by, extension.decided_at = body.note, principal.sub, _now()
    session.add(extension)
    if ticket is not None:
        ticket.warnings = domain.warnings_after(ticket.warnings, "ExtensionGranted")
        if ticket.escalation_stage == "resolve":
            ticket.escalation_level, ticket.escalation_stage = 0, None
        ticket.updated_at = _now()
        session.add(ticket)
    record_event(
        session,
        ExtensionGranted(
            ticket_id=extension.ticket_id,
            actor=Actor(**principal.actor()),
            request_event_id=extension.request_event_id,
            amount=extension.granted_amount,
            unit=extension.granted_unit,
            note=body.note,
        ),
    )
    return extension


def refuse_extension(session: Session, *, principal: Principal, request_event_id: str, note: str) -> DispatchExtension:
    """驳回延期: the deadline stays where it was."""
    extension, ticket = _load_extension(session, request_event_id)
    ticket_status = TicketStatus(ticket.status) if ticket else TicketStatus.accepted
    extension.status = domain.decide_extension(
        ExtensionDecision(extension.status), ExtensionDecision.refused, ticket_status
    ).value
    extension.decision_note, extension.decided_by, extension.decided_at = note, principal.sub, _now()
    session.add(extension)
    record_event(
        session,
        ExtensionRefused(
            ticket_id=extension.ticket_id, actor=Actor(**principal.actor()), request_event_id=extension.request_event_id, note=note
        ),
    )
    return extension


# --- admin: SLA policy and calendar (config topic) ---


def current_sla_policy(session: Session) -> SlaPolicyPublic:
    """The latest stored version, else the policy file the services started with."""
    stored = session.exec(select(DispatchSlaPolicy).order_by(col(DispatchSlaPolicy.version).desc()).limit(1)).first()
    if stored is not None:
        return SlaPolicyPublic(
            version=stored.version, source="stored", document=stored.document,
            published_by=stored.published_by, published_at=stored.published_at,
        )
    policy = load_policy()
    return SlaPolicyPublic(version=policy.version, source="file", document=policy.document)


def publish_sla_policy(session: Session, *, principal: Principal, document: dict[str, Any]) -> SlaPolicyPublic:
    """A new policy version for tickets filed from now on; running tickets keep theirs."""
    # Serialise publishers: the version check and the insert must see the same "current".
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(func.pg_advisory_xact_lock(0x5A1A)))
    current = current_sla_policy(session)
    policy = domain.next_sla_policy(current.version, document)
    row = DispatchSlaPolicy(version=policy.version, document=document, published_by=principal.sub, published_at=_now())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(f"version: {policy.version} was published meanwhile; reload and try again") from None
    record_event(
        session, SlaPolicyPublished(actor=Actor(**principal.actor()), policy_version=policy.version, document=document)
    )
    return SlaPolicyPublic(
        version=row.version, source="stored", document=row.document, published_by=row.published_by, published_at=row.published_at
    )


def current_calendar(session: Session) -> CalendarPublic:
    stored = session.exec(select(DispatchCalendar).order_by(col(DispatchCalendar.id).desc()).limit(1)).first()
    if stored is None:
        return CalendarPublic()
    return CalendarPublic(
        holidays=stored.holidays, workdays=stored.workdays, remove=stored.remove,
        adjusted_by=stored.adjusted_by, adjusted_at=stored.adjusted_at,
    )


def adjust_calendar(session: Session, *, principal: Principal, body: CalendarOverrides) -> CalendarPublic:
    """Replace the admin's calendar overrides; the workflow bridge applies them to tickets filed from now on."""
    overrides = {"holidays": sorted(set(body.holidays)), "workdays": sorted(set(body.workdays)), "remove": sorted(set(body.remove))}
    try:
        load_calendar(extra=overrides)
    except ValueError as exc:
        raise domain.PolicyRejected(str(exc).replace("extra.", "").replace("extra:", "holidays, workdays:")) from None
    row = DispatchCalendar(**overrides, adjusted_by=principal.sub, adjusted_at=_now())
    session.add(row)
    record_event(
        session,
        CalendarAdjusted(
            actor=Actor(**principal.actor()),
            holidays=tuple(overrides["holidays"]),
            workdays=tuple(overrides["workdays"]),
            remove=tuple(overrides["remove"]),
        ),
    )
    return CalendarPublic(**overrides, adjusted_by=row.adjusted_by, adjusted_at=row.adjusted_at)


def list_tickets(
    session: Session, *, principal: Principal, community_id: str | None, statuses: list[str], limit: int, offset: int
) -> list[DispatchTicket]:
    if principal.role == "community_staff":
        community_id = community_id or principal.community_id
        require_scope(principal, community_id=community_id)
    query = select(DispatchTicket)
    if community_id:
        query = query.where(DispatchTicket.community_id == community_id)
    if statuses:
        query = query.where(col(DispatchTicket.status).in_(statuses))
    query = query.order_by(col(DispatchTicket.escalation_level).desc(), col(DispatchTicket.filed_at)).offset(offset).limit(limit)
    return list(session.exec(query))


def get_ticket(session: Session, *, principal: Principal, ticket_id: str) -> DispatchTicket:
    ticket = session.get(DispatchTicket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id!r} not found")
    require_scope(principal, community_id=ticket.community_id)
    return ticket


# --- event handlers (run inside the idempotent inbox transaction) ---


def on_ticket_filed(session: Session, event: Event) -> None:
    assert isinstance(event, TicketFiled)
    if session.get(DispatchTicket, event.ticket_id) is not None:
        return
    session.add(
        DispatchTicket(
            id=event.ticket_id,
            community_id=event.community_id,
            grid_id=event.grid_id,
            kind=event.kind,
            title=event.title,
            description=event.description,
            category=event.category,
            urgency=event.urgency,
            address=event.address,
            channel=event.channel,
            anonymous=event.anonymous,
            reporter_phone_masked=event.reporter_phone_masked,
            status=TicketStatus.filed.value,
            proposed_department_id=domain.propose_department(get_directory(), event.category),
            filed_at=event.occurred_at,
            updated_at=_now(),
        )
    )


def on_ticket_progress(session: Session, event: Event) -> None:
    """Department and feedback events move the community's view (accepted, resolved, returned, closed...)."""
    ticket = session.get(DispatchTicket, event.ticket_id)
    if ticket is None:
        return
    target = STATUS_AFTER_EVENT.get(event.type)
    if target is not None and ticket.status != TicketStatus.merged:
        ticket.status = target.value
    ticket.warnings = domain.warnings_after(ticket.warnings, event.type)
    if isinstance(event, TicketReopened):
        ticket.reopen_count = max(ticket.reopen_count, event.reopen_count)
        ticket.joint_handling = ticket.joint_handling or event.joint_handling
        ticket.escalation_level, ticket.escalation_stage = 0, None
    if isinstance(event, TicketReturned):
        ticket.return_count += 1
        ticket.last_return_reason = event.reason
        session.add(
            DispatchReturn(
                ticket_id=ticket.id, department_id=event.department_id, reason=event.reason, returned_at=event.occurred_at
            )
        )
    if isinstance(event, TicketEscalated):
        if event.level >= ticket.escalation_level:
            ticket.escalation_stage = event.stage
        ticket.escalation_level = max(ticket.escalation_level, event.level)
    ticket.updated_at = _now()
    session.add(ticket)


def on_deadline_warned(session: Session, event: Event) -> None:
    """催办: the console shows which stage's deadline is near until that stage ends."""
    assert isinstance(event, DeadlineWarned)
    ticket = session.get(DispatchTicket, event.ticket_id)
    if ticket is None or TicketStatus(ticket.status) in domain.FINISHED:
        return
    ticket.warnings = {**ticket.warnings, event.stage: event.deadline.isoformat()}
    ticket.updated_at = _now()
    session.add(ticket)


def on_extension_requested(session: Session, event: Event) -> None:
    """A department's 延期申请 joins the supervisors' queue."""
    assert isinstance(event, ExtensionRequested)
    if session.get(DispatchExtension, str(event.event_id)) is not None:
        return
    ticket = session.get(DispatchTicket, event.ticket_id)
    session.add(
        DispatchExtension(
            request_event_id=str(event.event_id),
            ticket_id=event.ticket_id,
            community_id=ticket.community_id if ticket else None,
            department_id=event.department_id,
            amount=event.amount,
            unit=event.unit,
            reason=event.reason,
            status=ExtensionDecision.pending.value,
            requested_at=event.occurred_at,
        )
    )
