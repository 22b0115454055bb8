"""Supervision (督办): 挂起 / 恢复 a ticket's deadlines, and deciding departments' 延期申请."""
from __future__ import annotations

from sqlmodel import Session, col, select

from libs.auth.principal import Principal, check_street, street_scope
from libs.events import Actor, ExtensionGranted, ExtensionRefused, TicketResumed, TicketSuspended
from libs.messaging import record_event
from libs.statemachine import NotFound
from libs.ticket import TicketStatus
from libs.ticket.table import commit_event
from services.dispatch import domain
from services.dispatch.commands import load_ticket, now
from services.dispatch.domain import ExtensionDecision
from services.dispatch.models import DispatchExtension, DispatchTicket, GrantRequest


def suspend_ticket(session: Session, *, principal: Principal, ticket_id: str, reason: str) -> DispatchTicket:
    """挂起: every deadline of the ticket stops until it resumes."""
    ticket = load_ticket(session, principal, ticket_id)
    domain.suspend(TicketStatus(ticket.status), ticket.suspended)
    ticket.suspend_reason = reason
    return commit_event(session, ticket, TicketSuspended(ticket_id=ticket.id, actor=Actor(**principal.actor()), reason=reason))


def resume_ticket(session: Session, *, principal: Principal, ticket_id: str, note: str | None) -> DispatchTicket:
    """恢复: deadlines run again, moved by the time spent suspended."""
    ticket = load_ticket(session, principal, ticket_id)
    domain.resume(ticket.suspended)
    ticket.suspend_reason = None
    return commit_event(session, ticket, TicketResumed(ticket_id=ticket.id, actor=Actor(**principal.actor()), note=note))


def list_extensions(
    session: Session, *, principal: Principal, status: str | None, limit: int, offset: int
) -> list[DispatchExtension]:
    """延期申请, oldest first: a supervisor's street's only, an admin's every one."""
    query = select(DispatchExtension)
    street = street_scope(principal)
    if street is not None:
        query = query.where(col(DispatchExtension.community_id).in_(street))
    if status:
        query = query.where(DispatchExtension.status == status)
    return list(session.exec(query.order_by(col(DispatchExtension.requested_at)).offset(offset).limit(limit)))


def _load_extension(
    session: Session, principal: Principal, request_event_id: str
) -> tuple[DispatchExtension, DispatchTicket | None]:
    extension = session.get(DispatchExtension, request_event_id, with_for_update=True)
    if extension is None:
        raise NotFound(f"extension request {request_event_id!r} not found")
    ticket = session.get(DispatchTicket, extension.ticket_id)
    check_street(principal, ticket.community_id if ticket else extension.community_id)  # another street's: 403
    return extension, ticket


def _decide(
    extension: DispatchExtension, ticket: DispatchTicket | None, decision: ExtensionDecision, principal: Principal, note: str | None
) -> None:
    ticket_status = TicketStatus(ticket.status) if ticket else TicketStatus.accepted
    extension.status = domain.decide_extension(ExtensionDecision(extension.status), decision, ticket_status).value
    extension.decision_note, extension.decided_by, extension.decided_at = note, principal.sub, now()


def grant_extension(
    session: Session, *, principal: Principal, request_event_id: str, body: GrantRequest
) -> DispatchExtension:
    """批准延期: the resolution deadline moves by the granted time (default: what was asked)."""
    extension, ticket = _load_extension(session, principal, request_event_id)
    _decide(extension, ticket, ExtensionDecision.granted, principal, body.note)
    extension.granted_amount = body.amount or extension.amount
    extension.granted_unit = body.unit or extension.unit
    session.add(extension)
    event = ExtensionGranted(
        ticket_id=extension.ticket_id,
        actor=Actor(**principal.actor()),
        request_event_id=extension.request_event_id,
        amount=extension.granted_amount,
        unit=extension.granted_unit,
        note=body.note,
    )
    if ticket is None:
        record_event(session, event)
    else:
        commit_event(session, ticket, event)
    return extension


def refuse_extension(session: Session, *, principal: Principal, request_event_id: str, note: str) -> DispatchExtension:
    """驳回延期: the deadline stays where it was."""
    extension, ticket = _load_extension(session, principal, request_event_id)
    _decide(extension, ticket, ExtensionDecision.refused, principal, note)
    session.add(extension)
    record_event(
        session,
        ExtensionRefused(
            ticket_id=extension.ticket_id, actor=Actor(**principal.actor()), request_event_id=extension.request_event_id, note=note
        ),
    )
    return extension
