"""What staff see of the notifications: the message log and the dead letters of their own scope (a community's staff
their community's tickets, a department's staff their department's, a supervisor their street's, district roles all),
a retry of a dead letter, and the roster's answer to "who is told at this level"."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, col, select

from libs.auth.principal import WIDE_ROLES, Principal, check_scope, street_scope
from libs.statemachine import DomainError, NotFound
from services.notify import documents
from services.notify.models import MessagePublic, NotifyMessage, RosterPersonPublic


def _scoped(principal: Principal):  # noqa: ANN202 - a select
    query = select(NotifyMessage)
    if principal.role in WIDE_ROLES:
        street = street_scope(principal)  # a supervisor: the messages of their street's tickets
        return query if street is None else query.where(col(NotifyMessage.community_id).in_(street))
    if principal.role == "community_staff":
        return query.where(NotifyMessage.community_id == principal.community_id)
    if principal.role == "department_staff":
        return query.where(NotifyMessage.department_id == principal.department_id)
    return query.where(NotifyMessage.id == -1)  # nobody else reaches this (the API's role check), but never everything


def list_messages(
    session: Session, *, principal: Principal, ticket_id: str | None = None, status: str | None = None,
    channel: str | None = None, limit: int = 100, offset: int = 0,
) -> list[MessagePublic]:
    """送达记录, newest first: to whom, over which channel, which template, how it went (phones masked)."""
    query = _scoped(principal)
    if ticket_id:
        query = query.where(NotifyMessage.ticket_id == ticket_id)
    if status:
        query = query.where(NotifyMessage.status == status)
    if channel:
        query = query.where(NotifyMessage.channel == channel)
    rows = session.exec(query.order_by(col(NotifyMessage.id).desc()).offset(offset).limit(limit)).all()
    return [MessagePublic.model_validate(r, from_attributes=True) for r in rows]


def retry_dead_letter(session: Session, *, principal: Principal, message_id: int) -> MessagePublic:
    """Send a dead-lettered message again, from a first attempt (e.g. after fixing an address or the mail server)."""
    row = session.get(NotifyMessage, message_id)
    if row is None:
        raise NotFound(f"message {message_id} not found")
    check_scope(
        principal,
        community_id=(row.community_id or "-") if principal.role in ("community_staff", "supervisor") else None,
        department_id=(row.department_id or "-") if principal.role == "department_staff" else None,
    )
    if row.status != "dead":
        raise DomainError(f"status: message {message_id} is {row.status}, only a dead letter can be retried")
    row.status, row.attempts, row.lease_until = "pending", 0, None
    row.next_attempt_at = datetime.now(timezone.utc)
    session.add(row)
    session.flush()
    return MessagePublic.model_validate(row, from_attributes=True)


def roster_lookup(
    session: Session, *, level: str, community_id: str | None = None, department_id: str | None = None
) -> list[RosterPersonPublic]:
    people = documents.current_roster(session).lookup(level, community_id=community_id, department_id=department_id)
    return [RosterPersonPublic(id=p.id, name=p.name, email=p.email, wechat_openid=p.wechat_openid) for p in people]
