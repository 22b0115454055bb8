"""Open311 API keys: admins issue one or more keys per client (an app, a partner's CRM), list and revoke them. Only a
SHA-256 of each key is stored (keys are 256 random bits, so a fast hash is enough and lookups stay indexed); the key
itself is shown once, when it is issued. A client's filings are `filed_by` "open311:<client id>", whichever of its
keys was used, so rotating a key keeps its retries idempotent."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from pydantic import ConfigDict
from sqlalchemy import Column, DateTime
from sqlmodel import Field, Session, SQLModel, col, select

from libs.auth.principal import Principal
from libs.statemachine import DomainError, NotFound

KEY_PREFIX = "o311_"


class ApiKeyRefused(DomainError):
    """Missing, unknown or revoked api_key (Open311: HTTP 403)."""

    status_code = 403


class Open311KeyCreate(SQLModel):
    """An admin issues a key to a client."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=2, max_length=40, regex=r"^[a-z0-9][a-z0-9_.-]*$",
                           description="Stable id of the client (lowercase letters, digits, . _ -); filings are filed by open311:<client id>")
    client_name: str = Field(min_length=1, max_length=80, description="Who the client is, for the admins (e.g. 市民热线App)")


class Open311KeyPublic(SQLModel):
    """A key as admins see it: never the key itself, only its first characters."""

    id: str
    client_id: str
    client_name: str
    key_prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None


class Open311KeyIssued(Open311KeyPublic):
    api_key: str = Field(description="Shown once: store it now, Whistle keeps only its hash")


class Open311Key(SQLModel, table=True):
    """One issued key: its hash, whose it is, who issued and who revoked it."""

    __tablename__ = "intake_open311_key"

    id: str = Field(primary_key=True, max_length=20)
    client_id: str = Field(max_length=40, index=True)
    client_name: str = Field(max_length=80)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    key_prefix: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_by: str = Field(max_length=80)
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    revoked_by: str | None = Field(default=None, max_length=80)


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def issue_key(session: Session, *, principal: Principal, body: Open311KeyCreate) -> Open311KeyIssued:
    """A new key for the client; the plain key is in the answer and nowhere else."""
    api_key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = Open311Key(
        id="k" + secrets.token_hex(6),
        client_id=body.client_id,
        client_name=body.client_name,
        key_hash=hash_key(api_key),
        key_prefix=api_key[: len(KEY_PREFIX) + 4],
        created_at=datetime.now(timezone.utc),
        created_by=principal.sub,
    )
    session.add(row)
    return Open311KeyIssued(**row.model_dump(), api_key=api_key)


def list_keys(session: Session, *, client_id: str | None = None) -> list[Open311Key]:
    query = select(Open311Key)
    if client_id is not None:
        query = query.where(Open311Key.client_id == client_id)
    return list(session.exec(query.order_by(col(Open311Key.created_at).desc())))


def revoke_key(session: Session, *, principal: Principal, key_id: str) -> Open311Key:
    """Revoked at once and for good; revoking twice keeps the first revocation."""
    row = session.get(Open311Key, key_id, with_for_update=True)
    if row is None:
        raise NotFound(f"key_id: no Open311 key {key_id!r}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(timezone.utc)
        row.revoked_by = principal.sub
        session.add(row)
    return row


def authenticate(session: Session, api_key: str | None) -> Open311Key:
    """The live key row for `api_key`, or ApiKeyRefused saying why (without telling a revoked key from a wrong one)."""
    if not api_key:
        raise ApiKeyRefused("api_key: missing -- an api_key issued by the district's admins is required to create a request")
    row = session.exec(select(Open311Key).where(Open311Key.key_hash == hash_key(api_key))).first()
    if row is None or row.revoked_at is not None:
        raise ApiKeyRefused("api_key: invalid or revoked -- can't proceed with create_request")
    return row
