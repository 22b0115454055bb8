"""The roster (通知名单) and the templates (通知模板) as versioned admin data: version 1 is the file in config/, admins
publish version n+1 (stored in notify_document). Every replica reads the latest stored version when it plans a
message, so a publication applies everywhere at once. Only notify reads these, so no event announces them."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.directory import get_directory
from libs.statemachine import DomainError, check_next_version
from libs.versioned import stored_public
from services.notify.domain import Roster, Templates
from services.notify.models import DocumentPublic, NotifyDocument

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
FILES = {"roster": ("NOTIFY_ROSTER_FILE", "notify_roster.yaml"), "templates": ("NOTIFY_TEMPLATES_FILE", "notify_templates.yaml")}
LOCKS = {"roster": 0x4E01, "templates": 0x4E02}


@lru_cache
def _file_document(kind: str) -> dict[str, Any]:
    variable, name = FILES[kind]
    path = Path(os.environ.get(variable) or CONFIG_DIR / name)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _parse(kind: str, document: Any) -> Roster | Templates:
    if kind == "roster":
        return Roster.parse(document, get_directory())
    return Templates.parse(document, shipped=_file_document("templates").get("templates"))


def _latest(session: Session, kind: str) -> NotifyDocument | None:
    query = select(NotifyDocument).where(NotifyDocument.kind == kind).order_by(col(NotifyDocument.version).desc()).limit(1)
    return session.exec(query).first()


def current(session: Session, *, kind: str) -> DocumentPublic:
    """The latest published version of `kind`, else the shipped file."""
    stored = _latest(session, kind)
    if stored is not None:
        return stored_public(DocumentPublic, stored)
    parsed = _parse(kind, _file_document(kind))
    return DocumentPublic(version=parsed.version, source="file", document=parsed.document())


_parsed: dict[tuple[str, str, int], Any] = {}


def _current_parsed(session: Session, kind: str) -> Any:
    version = session.exec(sa_select(func.max(NotifyDocument.version)).where(NotifyDocument.kind == kind)).scalar_one_or_none()
    key = (str(session.get_bind().url), kind, version or 0)
    if key not in _parsed:
        _parsed[key] = _parse(kind, current(session, kind=kind).document)
    return _parsed[key]


def current_roster(session: Session) -> Roster:
    return _current_parsed(session, "roster")


def current_templates(session: Session) -> Templates:
    return _current_parsed(session, "templates")


def publish(session: Session, *, kind: str, principal: Principal, document: dict[str, Any]) -> DocumentPublic:
    """Store version current + 1 of `kind` (a 422 names a bad key, a 409 a version that is not the next)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(func.pg_advisory_xact_lock(LOCKS[kind])))
    parsed = _parse(kind, document)
    check_next_version(current(session, kind=kind).version, parsed.version)
    row = NotifyDocument(
        kind=kind, version=parsed.version, document=parsed.document(), published_by=principal.sub,
        published_at=datetime.now(timezone.utc),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(f"version: {parsed.version} was published meanwhile; reload and try again") from None
    return stored_public(DocumentPublic, row)


def current_roster_public(session: Session) -> DocumentPublic:
    return current(session, kind="roster")


def current_templates_public(session: Session) -> DocumentPublic:
    return current(session, kind="templates")


def publish_roster(session: Session, *, principal: Principal, document: dict[str, Any]) -> DocumentPublic:
    return publish(session, kind="roster", principal=principal, document=document)


def publish_templates(session: Session, *, principal: Principal, document: dict[str, Any]) -> DocumentPublic:
    return publish(session, kind="templates", principal=principal, document=document)
