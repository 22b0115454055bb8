"""系统设置, reference data: admins publish the district's directory (streets, communities with their grids and
compounds, departments at district or street level, categories with their default department = the routing rule) in
versions. Each version is stored here with who published it, when and what it changed (the change log, `GET
/admin/directory/history`), and announced as `DirectoryPublished` on the `config` topic in the same transaction;
every service process applies it (libs/directory/live.py). Ids are for ever: tickets, figures and events name them,
so a version may add and rename but never drop a street, community, grid, department or category."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import ConfigDict, ValidationError
from sqlalchemy import Column, DateTime, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import JSON, Field, Session, SQLModel, col, select

from libs.auth import Principal, require
from libs.auth.principal import ROLES
from libs.directory import Directory, get_directory, live, load_directory
from libs.events import Actor, DirectoryPublished
from libs.messaging import record_event
from libs.runtime import RuntimeDep
from libs.statemachine import DomainError, Rejected, check_next_version
from services.dispatch.commands import now

LOCK_ID = 0xD1EC


class DispatchDirectory(SQLModel, table=True):
    """Every directory version an admin published; the highest is current."""

    __tablename__ = "dispatch_directory"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    change: str = Field(max_length=300)
    published_by: str = Field(max_length=80)
    published_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DirectoryPublic(SQLModel):
    version: int
    source: Literal["stored", "file", "published"]
    document: dict[str, Any]
    change: str | None = None
    published_by: str | None = None
    published_at: datetime | None = None


class DirectoryChange(SQLModel):
    version: int
    change: str
    published_by: str
    published_at: datetime


class DirectoryPublish(SQLModel):
    """The next version (current + 1), what it changes (in Chinese, for the change log) and the whole directory."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "version": 1, "change": "新增社区 西潞园社区",
        "document": {"district": {"id": "fangshan", "name": "房山区"}, "streets": ["..."], "communities": ["..."],
                     "departments": ["..."], "categories": ["..."]},
    }]})
    version: int = Field(ge=1)
    change: str = Field(min_length=1, max_length=300)
    document: dict[str, Any]


def _document(directory: Directory) -> dict[str, Any]:
    return directory.model_dump(mode="json")


def current_directory(session: Session) -> DirectoryPublic:
    """The latest stored version, else the file the services started with (version 0)."""
    stored = session.exec(select(DispatchDirectory).order_by(col(DispatchDirectory.version).desc()).limit(1)).first()
    if stored is not None:
        return DirectoryPublic(version=stored.version, source="stored", document=stored.document, change=stored.change,
                               published_by=stored.published_by, published_at=stored.published_at)
    return DirectoryPublic(version=0, source="file", document=_document(load_directory()))


def history(session: Session, *, limit: int = 200) -> list[DirectoryChange]:
    rows = session.exec(select(DispatchDirectory).order_by(col(DispatchDirectory.version).desc()).limit(limit))
    return [DirectoryChange(version=r.version, change=r.change, published_by=r.published_by, published_at=r.published_at) for r in rows]


def validated(document: dict[str, Any]) -> Directory:
    """The document as a Directory, or a 422 naming the first problem (where, what)."""
    try:
        return Directory.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__") or "document"
        raise Rejected(f"document.{where}: {error.get('msg', 'invalid')}".replace("document.document", "document")) from None


def check_nothing_dropped(before: Directory, after: Directory) -> None:
    """Ids are for ever: a new version keeps every street, community, grid, department and category (rename instead)."""
    for kind, old, new in (
        ("streets", before.streets, after.streets), ("communities", before.communities, after.communities),
        ("departments", before.departments, after.departments), ("categories", before.categories, after.categories),
    ):
        gone = sorted({x.id for x in old} - {x.id for x in new})
        if gone:
            raise Rejected(f"document.{kind}: {gone[0]!r} is missing; tickets and figures name it, so it can be renamed but not removed")
    grids = sorted({g for c in before.communities for g in c.grids} - {g for c in after.communities for g in c.grids})
    if grids:
        raise Rejected(f"document.communities: grid {grids[0]!r} is missing; a grid can move to another community but not be removed")


def publish_directory(session: Session, *, principal: Principal, body: DirectoryPublish) -> DirectoryPublic:
    """Store the next version and stage DirectoryPublished; 409 unless `version` is current + 1."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(func.pg_advisory_xact_lock(LOCK_ID)))
    current = current_directory(session)
    check_next_version(current.version, body.version)
    directory = validated(body.document)
    check_nothing_dropped(validated(current.document), directory)
    document = _document(directory)
    row = DispatchDirectory(version=body.version, document=document, change=body.change.strip(), published_by=principal.sub,
                            published_at=now())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(f"version: {body.version} was published meanwhile; reload and try again") from None
    record_event(session, DirectoryPublished(
        actor=Actor(**principal.actor()), directory_version=row.version, document=document, change=row.change,
    ))
    return DirectoryPublic(version=row.version, source="stored", document=document, change=row.change,
                           published_by=row.published_by, published_at=row.published_at)


admin_router = APIRouter(prefix="/admin", tags=["admin"])
reference_router = APIRouter(tags=["reference data"])
Admin = Annotated[Principal, Depends(require("admin"))]
Anyone = Annotated[Principal, Depends(require(*ROLES))]


@admin_router.get("/directory", response_model=DirectoryPublic, summary="The current directory version (latest published, else the file)")
def get_current(_principal: Admin, runtime: RuntimeDep) -> DirectoryPublic:
    return runtime.read(current_directory)


@admin_router.put(
    "/directory", response_model=DirectoryPublic,
    summary="Publish the next directory version (streets, communities, grids, departments, categories and routing)",
    responses={409: {"description": "version is not current + 1"},
               422: {"description": "the document is inconsistent, or drops an id"}},
)
def put_directory(body: DirectoryPublish, principal: Admin, runtime: RuntimeDep) -> DirectoryPublic:
    return runtime.run(publish_directory, principal=principal, body=body)


@admin_router.get("/directory/history", response_model=list[DirectoryChange], summary="变更记录: every version, newest first")
def get_history(_principal: Admin, runtime: RuntimeDep) -> list[DirectoryChange]:
    return runtime.read(history)


@reference_router.get(
    "/directory", response_model=DirectoryPublic, summary="The directory this process has in force (for the portal's pickers)",
)
def in_force(_principal: Anyone) -> DirectoryPublic:
    info = live.in_force()
    return DirectoryPublic(version=info.version, source=info.source, document=_document(get_directory()), change=info.change,
                           published_by=info.published_by, published_at=info.published_at)
