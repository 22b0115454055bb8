"""The reporter's identity at rest and who saw it.

- `intake_contact`: one row per named ticket: name and phone encrypted (libs/pii Fernet keys), the phone's keyed
  hash for lookups (`tickets_of_phone`). Anonymous tickets get no row: no name, no phone, no hash.
- `POST /tickets/{id}/contact/reveal`: the full number for a call back, to community staff of the ticket's community
  and department staff of the department holding it (the `department_id` of intake's folded view, from
  TicketDispatched); every reveal is a row of `intake_contact_reveal` (who, role, scope, when, which ticket), listed
  for admins at `GET /admin/contact-reveals`.
- `python -m services.intake.privacy reencrypt`: after a key rotation (new key first in PII_KEYS), rewrite every
  token under the newest key and every hash under the current PII_HASH_KEY; then the old key can go."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, Session, SQLModel, col, select

from libs.auth import Principal, require
from libs.observability import get_logger
from libs.pii import Vault, get_vault, mask_phone
from libs.runtime import RuntimeDep
from libs.runtime.listing import Page
from libs.statemachine import Forbidden, NotFound
from services.intake.models import IntakeTicket

log = get_logger(__name__)

# Who may reveal: the staff handling the ticket (scope checked per ticket below).
REVEALERS = ("community_staff", "department_staff")


class IntakeContact(SQLModel, table=True):
    """The reporter's name and phone, encrypted; one row per ticket that has them."""

    __tablename__ = "intake_contact"

    ticket_id: str = Field(primary_key=True, max_length=40)
    phone_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    name_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    phone_hash: str | None = Field(default=None, max_length=64, index=True)  # HMAC-SHA256 of the normalized number
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IntakeContactReveal(SQLModel, table=True):
    """One reveal of a reporter's contact: who (id, role, scope), when, which ticket."""

    __tablename__ = "intake_contact_reveal"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(max_length=40, index=True)
    actor_id: str = Field(max_length=80, index=True)
    actor_role: str = Field(max_length=30)
    actor_scope: str | None = Field(default=None, max_length=40)  # the community or department acted for
    revealed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class ContactRevealed(SQLModel):
    ticket_id: str
    contact_name: str | None
    contact_phone: str | None
    reporter_phone_masked: str | None
    revealed_at: datetime


class ContactRevealPublic(SQLModel):
    id: int
    ticket_id: str
    actor_id: str
    actor_role: str
    actor_scope: str | None
    revealed_at: datetime


def store_contact(
    session: Session, ticket_id: str, *, phone: str | None, name: str | None, vault: Vault | None = None
) -> IntakeContact | None:
    """Encrypt what the reporter gave (nothing stored when both are empty)."""
    phone = (phone or "").strip() or None
    name = (name or "").strip() or None
    if phone is None and name is None:
        return None
    vault = vault or get_vault()
    contact = IntakeContact(
        ticket_id=ticket_id,
        phone_encrypted=vault.encrypt(phone) if phone else None,
        name_encrypted=vault.encrypt(name) if name else None,
        phone_hash=vault.phone_hash(phone) if phone else None,
        created_at=datetime.now(timezone.utc),
    )
    session.add(contact)
    return contact


def tickets_of_phone(session: Session, phone: str, vault: Vault | None = None) -> list[str]:
    """The ids of the tickets reported from `phone` (any spelling of it), found by its hash, nothing decrypted."""
    digest = (vault or get_vault()).phone_hash(phone)
    return list(session.exec(select(IntakeContact.ticket_id).where(IntakeContact.phone_hash == digest)))


def _scope_for_reveal(principal: Principal, ticket: IntakeTicket) -> str:
    """The community or department on whose behalf the caller reveals; Forbidden when the ticket is not theirs."""
    if principal.role == "community_staff":
        if principal.community_id and principal.community_id == ticket.community_id:
            return principal.community_id
        raise Forbidden(f"ticket_id: ticket {ticket.id} belongs to another community; only its community may call back")
    if principal.role == "department_staff":
        holder = ticket.view().department_id
        if principal.department_id and holder == principal.department_id:
            return principal.department_id
        raise Forbidden(f"ticket_id: ticket {ticket.id} is not held by your department; only its handler may call back")
    raise Forbidden("role: only the community or department handling the ticket may see the reporter's number")


def reveal_contact(session: Session, *, principal: Principal, ticket_id: str) -> ContactRevealed:
    """The reporter's full name and number for the ticket's handler; the reveal is recorded in the same transaction."""
    ticket = session.get(IntakeTicket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket_id: ticket {ticket_id!r} not found")
    scope = _scope_for_reveal(principal, ticket)
    contact = session.get(IntakeContact, ticket_id)
    if ticket.anonymous or contact is None:
        raise NotFound(f"contact: ticket {ticket_id} has no contact on file (anonymous, or none was given)")
    vault = get_vault()
    now = datetime.now(timezone.utc)
    session.add(
        IntakeContactReveal(
            ticket_id=ticket_id, actor_id=principal.sub, actor_role=principal.role, actor_scope=scope, revealed_at=now
        )
    )
    log.info("contact_revealed", ticket_id=ticket_id, actor_id=principal.sub, actor_role=principal.role, scope=scope)
    phone = vault.decrypt(contact.phone_encrypted) if contact.phone_encrypted else None
    return ContactRevealed(
        ticket_id=ticket_id,
        contact_name=vault.decrypt(contact.name_encrypted) if contact.name_encrypted else None,
        contact_phone=phone,
        reporter_phone_masked=mask_phone(phone),
        revealed_at=now,
    )


def list_reveals(
    session: Session, *, ticket_id: str | None = None, actor_id: str | None = None, limit: int = 100, offset: int = 0
) -> list[IntakeContactReveal]:
    query = select(IntakeContactReveal)
    if ticket_id:
        query = query.where(IntakeContactReveal.ticket_id == ticket_id)
    if actor_id:
        query = query.where(IntakeContactReveal.actor_id == actor_id)
    order = (col(IntakeContactReveal.revealed_at).desc(), col(IntakeContactReveal.id).desc())
    return list(session.exec(query.order_by(*order).offset(offset).limit(limit)))


def reencrypt(session: Session, vault: Vault | None = None, batch: int = 500) -> int:
    """Rewrite every contact under the newest key and the current hash key; returns how many rows changed."""
    vault = vault or get_vault()
    changed = 0
    last = ""
    while True:
        rows = list(
            session.exec(select(IntakeContact).where(IntakeContact.ticket_id > last).order_by(IntakeContact.ticket_id).limit(batch))
        )
        if not rows:
            return changed
        for row in rows:
            before = (row.phone_encrypted, row.name_encrypted, row.phone_hash)
            if row.phone_encrypted:
                phone = vault.decrypt(row.phone_encrypted)
                row.phone_hash = vault.phone_hash(phone)
                if not vault.is_current(row.phone_encrypted):
                    row.phone_encrypted = vault.rotate(row.phone_encrypted)
            if row.name_encrypted and not vault.is_current(row.name_encrypted):
                row.name_encrypted = vault.rotate(row.name_encrypted)
            if (row.phone_encrypted, row.name_encrypted, row.phone_hash) != before:
                session.add(row)
                changed += 1
        session.flush()
        last = rows[-1].ticket_id


router = APIRouter(tags=["privacy"])
Revealer = Annotated[Principal, Depends(require(*REVEALERS))]
Admin = Annotated[Principal, Depends(require("admin"))]


@router.post(
    "/tickets/{ticket_id}/contact/reveal",
    response_model=ContactRevealed,
    summary="查看完整号码: the reporter's name and full number for a call back (recorded)",
    responses={
        403: {"description": "Not the community of the ticket, nor the department holding it"},
        404: {"description": "No such ticket, or it is anonymous / has no contact"},
    },
)
def reveal(ticket_id: str, principal: Revealer, runtime: RuntimeDep, response: Response) -> ContactRevealed:
    response.headers["Cache-Control"] = "no-store"
    return runtime.run(reveal_contact, principal=principal, ticket_id=ticket_id)


@router.get(
    "/admin/contact-reveals",
    response_model=list[ContactRevealPublic],
    summary="Every reveal of a reporter's contact, newest first (admins)",
)
def reveals(
    _admin: Admin,
    runtime: RuntimeDep,
    page: Page,
    ticket_id: Annotated[str | None, Query(max_length=40)] = None,
    actor_id: Annotated[str | None, Query(max_length=80)] = None,
) -> list[IntakeContactReveal]:
    return runtime.read(list_reveals, ticket_id=ticket_id, actor_id=actor_id, limit=page.limit, offset=page.offset)


def main(argv: list[str] | None = None) -> int:
    """`python -m services.intake.privacy reencrypt`: rotate every stored contact to the newest PII key."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["reencrypt"]:
        print("usage: python -m services.intake.privacy reencrypt", file=sys.stderr)
        return 2
    from libs.db import make_engine, migrate, transaction
    from libs.settings import get_settings
    from pathlib import Path

    url = get_settings().database_url_for("intake")
    migrate(url, Path(__file__).parent / "migrations")
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            changed = reencrypt(session)
    finally:
        engine.dispose()
    print(f"re-encrypted {changed} contact(s) under the newest key")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
