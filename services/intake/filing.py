"""吹哨 from any channel: every adapter in `channels/` turns what arrived into one `FileTicket`, and `file_ticket`
stores it and stages the one `TicketFiled` event. Nothing here knows which channel it came from."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from libs.directory import get_directory
from libs.events import Actor, TicketFiled
from libs.events.models import Channel, TicketKind, Urgency
from libs.messaging import record_event
from libs.pii import get_vault, mask_phones_in_text
from libs.statemachine import DomainError
from libs.ticket.view import fold
from services.intake.attachments import link_photos
from services.intake.category_rules import choose_category
from services.intake.boundaries import current_grids
from services.intake.domain import mask_phone, new_ticket_id, request_fingerprint, resolve_placement
from services.intake.abuse import get_limiter
from services.intake.models import IntakeTicket
from services.intake.story import timeline_row
from services.intake.privacy import store_contact

# What TicketFiled carries of the stored ticket; the masked phone only when the reporter is not anonymous.
FILED_FIELDS = frozenset({
    "kind", "title", "description", "category", "address", "latitude", "longitude", "urgency", "channel", "community_id",
    "grid_id", "reporter_id", "anonymous", "attachments", "verified_on_site", "suggested_category", "suggestion_reason",
})
# The fields that make two submissions "the same" for an Idempotency-Key.
_NOT_SUBMITTED = frozenset({"actor", "filed_by", "idempotency_key", "fallback_community"})


class IdempotencyConflict(DomainError):
    """The Idempotency-Key was used before for a different request (HTTP 409)."""


class FileTicket(BaseModel):
    """One filing, whatever the channel. `filed_by` is who submitted it (an account, an operator, a WeChat user, an
    Open311 client) and scopes `idempotency_key`; `reporter_id` is the resident account the ticket belongs to."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    actor: Actor
    filed_by: str = Field(max_length=80)
    idempotency_key: str = Field(max_length=100)
    kind: TicketKind = "problem"
    title: str
    description: str
    category: str | None = None  # None: suggested from the text (分类建议), recorded with its reason
    urgency: Urgency | None = None
    community_id: str | None = None
    grid_id: str | None = None
    fallback_community: str | None = None  # the filer's own community, when the filing names none
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reporter_id: str | None = None
    contact_phone: str | None = None  # stored encrypted (privacy.py), masked on the ticket, never on an event
    contact_name: str | None = Field(default=None, max_length=40)  # stored encrypted, like the phone
    anonymous: bool = False
    attachments: tuple[str, ...] = ()
    verified_on_site: bool = False

    @model_validator(mode="before")
    @classmethod
    def _a_title_people_can_read(cls, data: Any) -> Any:
        """Every list shows the title (2 to 80 characters): a channel that takes it from free text (the first line of
        an SMS or a WeChat description) may have one character; then the description's start stands in for it."""
        if isinstance(data, dict):
            title = " ".join(str(data.get("title") or "").split())
            if len(title) < 2:
                text = " ".join(str(data.get("description") or "").split())
                title = text[:30] if len(text) >= 2 else "未填写标题"
            data = {**data, "title": title[:80]}
        return data


def file_ticket(session: Session, command: FileTicket) -> tuple[IntakeTicket, bool]:
    """Store the ticket and stage TicketFiled. Returns (ticket, created); a retry returns the first ticket."""
    fingerprint = request_fingerprint(command.model_dump(exclude=_NOT_SUBMITTED))
    existing = _first_filing(session, command, fingerprint)
    if existing is not None:
        return existing, False

    category, suggested, reason = command.category or None, None, None
    if category is None:
        category, reason = choose_category(session, title=command.title, description=command.description)
        suggested = category
    community_id, grid_id, default_urgency = resolve_placement(
        get_directory(),
        category=category,
        community_id=command.community_id,
        grid_id=command.grid_id,
        fallback_community=command.fallback_community,
        latitude=command.latitude,
        longitude=command.longitude,
        address=command.address,
        grids=current_grids(),
    )
    now = datetime.now(timezone.utc)
    ticket = IntakeTicket(
        **command.model_dump(
            include={"kind", "address", "latitude", "longitude", "channel", "anonymous",
                     "reporter_id", "filed_by", "idempotency_key", "verified_on_site"}
        ),
        attachments=list(command.attachments),
        title=mask_phones_in_text(command.title),  # a number typed into the text is masked like the contact's
        description=mask_phones_in_text(command.description),
        category=category,
        suggested_category=suggested,
        suggestion_reason=reason,
        id=new_ticket_id(now),
        urgency=command.urgency or default_urgency,
        community_id=community_id,
        grid_id=grid_id,
        reporter_phone_masked=None if command.anonymous else mask_phone(command.contact_phone),  # anonymous: no identity
        request_fingerprint=fingerprint,
        created_at=now,
        updated_at=now,
    )
    if command.contact_phone:  # per-phone limit (every channel), keyed by the phone's HMAC
        get_limiter().check_phone(session, get_vault().phone_hash(command.contact_phone))
    winner = _insert_first(session, ticket, command, fingerprint)
    if winner is not None:
        return winner, False
    if not command.anonymous:
        store_contact(session, ticket.id, phone=command.contact_phone, name=command.contact_name)
    link_photos(session, ticket_id=ticket.id, references=command.attachments, filed_by=command.filed_by)
    event = TicketFiled(
        **ticket.model_dump(include=FILED_FIELDS),
        ticket_id=ticket.id,
        actor=command.actor,
        occurred_at=now,
        reporter_phone_masked=None if ticket.anonymous else ticket.reporter_phone_masked,
    )
    ticket.store(fold(None, event))
    record_event(session, event)
    session.add(timeline_row(event, note="居民吹哨"))
    return ticket, True


def _first_filing(session: Session, command: FileTicket, fingerprint: str) -> IntakeTicket | None:
    """The ticket already filed with this Idempotency-Key, or None; a different request under the same key is refused."""
    existing = session.exec(
        select(IntakeTicket).where(
            IntakeTicket.filed_by == command.filed_by, IntakeTicket.idempotency_key == command.idempotency_key
        )
    ).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict(
            f"Idempotency-Key {command.idempotency_key!r} was already used for a different ticket ({existing.id})"
        )
    return existing


def _insert_first(session: Session, ticket: IntakeTicket, command: FileTicket, fingerprint: str) -> IntakeTicket | None:
    """Insert the ticket now: of concurrent retries with one Idempotency-Key, the losers meet uq_intake_idempotency
    here (after the winner commits) and get the winner's ticket. None: this filing won. On PostgreSQL only a savepoint
    is rolled back; pysqlite's savepoints would end the outer transaction, so there the whole (still empty) unit of
    work is rolled back: file_ticket is its first write."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    try:
        if sqlite:
            session.add(ticket)
            session.flush()
        else:
            with session.begin_nested():
                session.add(ticket)
    except IntegrityError:
        if sqlite:
            session.rollback()
        winner = _first_filing(session, command, fingerprint)
        if winner is None:
            raise
        return winner
    return None
