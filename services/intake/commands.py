"""Intake use cases; each runs in one transaction and stages its events in the outbox."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.directory import get_directory
from libs.events import Actor, Event, TicketFiled
from libs.messaging import record_event
from libs.statemachine import DomainError, NotFound
from libs.ticket.table import follow_event
from libs.ticket.view import fold
from services.intake.domain import mask_phone, new_ticket_id, request_fingerprint, resolve_placement, timeline_note
from services.intake.models import IntakeTicket, IntakeTimeline, TicketBase, TicketCreate

STAFF_ROLES = ("community_staff", "supervisor", "leader", "admin")
# What TicketFiled carries of the stored ticket; the masked phone only when the reporter is not anonymous.
FILED_FIELDS = frozenset({
    *TicketBase.model_fields, "urgency", "channel", "community_id", "grid_id", "reporter_id", "anonymous", "attachments"
})


class IdempotencyConflict(DomainError):
    """The Idempotency-Key was used before for a different request (HTTP 409)."""


def file_ticket(
    session: Session, *, principal: Principal, body: TicketCreate, idempotency_key: str
) -> tuple[IntakeTicket, bool]:
    """吹哨: store the ticket and stage TicketFiled. Returns (ticket, created); a retry returns the first ticket."""
    fingerprint = request_fingerprint(body.model_dump())
    existing = session.exec(
        select(IntakeTicket).where(IntakeTicket.filed_by == principal.sub, IntakeTicket.idempotency_key == idempotency_key)
    ).first()
    if existing is not None:
        if existing.request_fingerprint != fingerprint:
            raise IdempotencyConflict(
                f"Idempotency-Key {idempotency_key!r} was already used for a different ticket ({existing.id})"
            )
        return existing, False

    community_id, grid_id, default_urgency = resolve_placement(
        get_directory(),
        category=body.category,
        community_id=body.community_id,
        grid_id=body.grid_id,
        fallback_community=principal.community_id,
    )
    now = datetime.now(timezone.utc)
    reporter_id = principal.sub if principal.role == "resident" else None
    ticket = IntakeTicket(
        **body.model_dump(include={*TicketBase.model_fields, "channel", "anonymous", "attachments"}),
        id=new_ticket_id(now),
        urgency=body.urgency or default_urgency,
        community_id=community_id,
        grid_id=grid_id,
        reporter_id=reporter_id,
        filed_by=principal.sub,
        reporter_phone_masked=mask_phone(body.contact_phone),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    event = TicketFiled(
        **ticket.model_dump(include=FILED_FIELDS),
        ticket_id=ticket.id,
        actor=Actor(**principal.actor()),
        occurred_at=now,
        reporter_phone_masked=None if ticket.anonymous else ticket.reporter_phone_masked,
    )
    ticket.store(fold(None, event))
    record_event(session, event)
    _add_timeline(session, event, note="居民吹哨")
    return ticket, True


def get_ticket(session: Session, *, principal: Principal, ticket_id: str) -> IntakeTicket:
    """The ticket if the caller may see it: its reporter or filer, or staff of its community."""
    ticket = session.get(IntakeTicket, ticket_id)
    if ticket is None or not _may_see(principal, ticket):
        raise NotFound(f"ticket {ticket_id!r} not found")
    return ticket


def _may_see(principal: Principal, ticket: IntakeTicket) -> bool:
    if principal.role in ("supervisor", "leader", "admin"):
        return True
    if principal.role == "community_staff":
        return principal.community_id == ticket.community_id
    return principal.sub in (ticket.reporter_id, ticket.filed_by)


def my_tickets(session: Session, *, principal: Principal, limit: int, offset: int) -> list[IntakeTicket]:
    query = select(IntakeTicket).where((IntakeTicket.reporter_id == principal.sub) | (IntakeTicket.filed_by == principal.sub))
    return list(session.exec(query.order_by(col(IntakeTicket.created_at).desc()).offset(offset).limit(limit)))


def timeline(session: Session, ticket_id: str) -> list[IntakeTimeline]:
    return list(
        session.exec(select(IntakeTimeline).where(IntakeTimeline.ticket_id == ticket_id).order_by(IntakeTimeline.id))
    )


def _add_timeline(session: Session, event: Event, note: str | None) -> None:
    session.add(
        IntakeTimeline(
            ticket_id=event.ticket_id,
            event_id=str(event.event_id),
            event_type=event.type,
            occurred_at=event.occurred_at,
            note=note,
        )
    )


def apply_ticket_event(session: Session, event: Event) -> None:
    """Mirror a later ticket event onto the resident's view (called from the idempotent inbox)."""
    ticket = session.get(IntakeTicket, event.ticket_id)
    if ticket is None:
        return  # not filed through this intake (e.g. another district's topic); nothing to mirror
    follow_event(session, ticket, event, service="intake")
    _add_timeline(session, event, note=timeline_note(event))
