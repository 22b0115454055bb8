"""Photos from every channel: what was uploaded (`IntakeAttachment`, the bytes in the BlobStore), which tickets name
it (`IntakeAttachmentLink`, written by `file_ticket`), and who may see it: the uploader, and whoever may see a ticket
that names it (its reporter and filer, its community's staff, the department holding it, street and district roles).

A ticket names a photo by its reference "/attachments/<id>.jpg"; the thumbnail is "/attachments/<id>/thumbnail.jpg".
Only the filer's own uploads can be named, so nobody reaches another person's photo by naming it in a filing."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from libs.auth.principal import Principal
from libs.blobs import Blob, BlobNotFound, BlobStore
from libs.blobs.images import CONTENT_TYPE, CheckedPhoto
from libs.events.wishes import WishFulfilled
from libs.statemachine import DomainError, NotFound, Rejected
from libs.ticket.table import TicketRecord
from services.intake import commands
from services.intake.domain import FilingRejected
from services.intake.models import IntakeTicket

MAX_PHOTOS = 9  # per upload and per ticket (TicketCreate.attachments has the same bound)
REFERENCE = re.compile(r"^/attachments/([0-9a-f]{32})\.jpg$")
PREFIX = "/attachments/"


class PhotoTooLarge(DomainError):
    """An uploaded file is over the size limit (HTTP 413)."""

    status_code = 413


class PhotoRefused(Rejected):
    """The upload is not photos we keep: not an image, too many, none at all (HTTP 422)."""


class IntakeAttachment(SQLModel, table=True):
    """One uploaded photo: where its re-encoded JPEG and thumbnail are kept and who uploaded it. No EXIF, no GPS:
    the position was handed back to the uploader, never stored."""

    __tablename__ = "intake_attachment"

    id: str = Field(primary_key=True, max_length=32)
    uploaded_by: str = Field(max_length=80, index=True)
    uploader_role: str = Field(max_length=30)
    blob_key: str = Field(max_length=200)
    thumbnail_key: str = Field(max_length=200)
    content_type: str = Field(max_length=50)
    size_bytes: int
    width: int
    height: int
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IntakeAttachmentLink(TicketRecord, table=True):
    """A ticket names a photo (one row per ticket and photo)."""

    __tablename__ = "intake_attachment_link"
    __table_args__ = (UniqueConstraint("ticket_id", "attachment_id", name="uq_intake_attachment_link"),)

    attachment_id: str = Field(max_length=32, index=True)


class Location(SQLModel):
    latitude: float
    longitude: float


class PhotoPublic(SQLModel):
    id: str
    url: str = Field(description="The reference to put in a filing's `attachments`: /attachments/<id>.jpg")
    thumbnail_url: str = Field(description="/attachments/<id>/thumbnail.jpg")
    content_type: str
    size_bytes: int
    width: int
    height: int
    suggested_location: Location | None = Field(
        default=None,
        description="Where the camera said the photo was taken (EXIF GPS, removed from the kept photo). Send it as the "
        "filing's latitude/longitude only if the reporter agrees.",
    )


class UploadPublic(SQLModel):
    photos: list[PhotoPublic]
    suggested_location: Location | None = Field(default=None, description="The first photo's position that had one")


@dataclass(frozen=True)
class StoredPhoto:
    attachment: IntakeAttachment
    location: tuple[float, float] | None


def reference(attachment_id: str) -> str:
    return f"{PREFIX}{attachment_id}.jpg"


def thumbnail_reference(attachment_id: str) -> str:
    return f"{PREFIX}{attachment_id}/thumbnail.jpg"


def blob_keys(attachment_id: str) -> tuple[str, str]:
    return f"photos/{attachment_id}.jpg", f"photos/{attachment_id}.thumb.jpg"


def public(stored: StoredPhoto) -> PhotoPublic:
    row = stored.attachment
    location = Location(latitude=stored.location[0], longitude=stored.location[1]) if stored.location else None
    return PhotoPublic(
        id=row.id, url=reference(row.id), thumbnail_url=thumbnail_reference(row.id), content_type=row.content_type,
        size_bytes=row.size_bytes, width=row.width, height=row.height, suggested_location=location,
    )


def store_photos(
    session: Session, *, blobs: BlobStore, photos: list[CheckedPhoto], uploaded_by: str, uploader_role: str, ids: list[str]
) -> list[StoredPhoto]:
    """Keep checked photos (`libs.blobs.images.check_photo`) under `ids` (`new_ids`, made by the caller so it can
    `forget_blobs` if the commit fails). `uploaded_by` is who will file them: the account, or a channel's `filed_by`."""
    now = datetime.now(timezone.utc)
    stored: list[StoredPhoto] = []
    for attachment_id, photo in zip(ids, photos, strict=True):
        photo_key, thumbnail_key = blob_keys(attachment_id)
        row = IntakeAttachment(
            id=attachment_id, uploaded_by=uploaded_by, uploader_role=uploader_role, blob_key=photo_key,
            thumbnail_key=thumbnail_key, content_type=CONTENT_TYPE, size_bytes=len(photo.jpeg), width=photo.width,
            height=photo.height, created_at=now,
        )
        session.add(row)
        stored.append(StoredPhoto(row, photo.location))
    session.flush()  # a clash or a broken database fails before any byte is written
    for attachment_id, photo in zip(ids, photos, strict=True):
        photo_key, thumbnail_key = blob_keys(attachment_id)
        blobs.put(thumbnail_key, photo.thumbnail, CONTENT_TYPE)
        blobs.put(photo_key, photo.jpeg, CONTENT_TYPE)
    return stored


def new_ids(count: int) -> list[str]:
    return [uuid.uuid4().hex for _ in range(count)]


def forget_blobs(blobs: BlobStore, ids: list[str]) -> None:
    """Remove what an upload that did not commit may have written (best effort)."""
    for attachment_id in ids:
        for key in blob_keys(attachment_id):
            try:
                blobs.delete(key)
            except Exception:  # noqa: BLE001 - the original failure is what the caller reports
                pass


def purge_unfiled(session: Session, *, uploaded_before: datetime, limit: int = 1000) -> list[str]:
    """Forget photos uploaded before `uploaded_before` that no ticket names (forms never sent); returns their ids so
    the caller deletes the blobs once this has committed."""
    named = select(IntakeAttachmentLink.attachment_id)
    stale = session.exec(
        select(IntakeAttachment)
        .where(IntakeAttachment.created_at < uploaded_before, col(IntakeAttachment.id).not_in(named))
        .order_by(col(IntakeAttachment.created_at))
        .limit(limit)
    ).all()
    for row in stale:
        session.delete(row)
    return [row.id for row in stale]


def link_photos(session: Session, *, ticket_id: str, references: tuple[str, ...] | list[str], filed_by: str) -> None:
    """Record which uploaded photos a new ticket names; a reference to a photo the filer did not upload is refused
    (422), so nobody can reach someone else's photo by naming it. Other URLs (an Open311 media_url) pass as they are."""
    wanted: list[str] = []
    for ref in references:
        if not ref.startswith(PREFIX):
            continue
        found = REFERENCE.match(ref)
        if not found:
            raise FilingRejected(f"attachments: {ref[:80]!r} is not a photo reference (/attachments/<id>.jpg)")
        if found.group(1) not in wanted:
            wanted.append(found.group(1))
    if not wanted:
        return
    mine = set(
        session.exec(
            select(IntakeAttachment.id).where(col(IntakeAttachment.id).in_(wanted), IntakeAttachment.uploaded_by == filed_by)
        )
    )
    for attachment_id in wanted:
        if attachment_id not in mine:
            raise FilingRejected(f"attachments: {reference(attachment_id)!r} is not a photo you uploaded; upload it first")
        session.add(IntakeAttachmentLink(ticket_id=ticket_id, attachment_id=attachment_id))


def link_fulfilment_photos(session: Session, event: WishFulfilled) -> None:
    """圆梦: the photos a volunteer recorded join the wish's ticket (a wish's id is its ticket's), so the wisher and
    the community's staff see them like the ticket's own; only photos that volunteer uploaded, each once."""
    wanted = {m.group(1) for ref in event.photos if (m := REFERENCE.match(ref))}
    if not wanted or session.get(IntakeTicket, event.wish_id) is None:
        return
    theirs = session.exec(select(IntakeAttachment.id).where(
        col(IntakeAttachment.id).in_(wanted), IntakeAttachment.uploaded_by == event.claimant_id)).all()
    linked = set(session.exec(select(IntakeAttachmentLink.attachment_id).where(IntakeAttachmentLink.ticket_id == event.wish_id)))
    for attachment_id in sorted(set(theirs) - linked):
        session.add(IntakeAttachmentLink(ticket_id=event.wish_id, attachment_id=attachment_id))


def may_see(session: Session, principal: Principal, attachment: IntakeAttachment) -> bool:
    """The uploader, or whoever may see a ticket that names the photo (the department: while it holds the ticket)."""
    if principal.sub == attachment.uploaded_by:
        return True
    ticket_ids = session.exec(
        select(IntakeAttachmentLink.ticket_id).where(IntakeAttachmentLink.attachment_id == attachment.id)
    ).all()
    for ticket_id in ticket_ids:
        try:
            commands.get_ticket(session, principal=principal, ticket_id=ticket_id)
            return True
        except NotFound:
            pass
        if principal.role == "department_staff" and principal.department_id:
            ticket = session.get(IntakeTicket, ticket_id)
            if ticket is not None and ticket.view().department_id == principal.department_id:
                return True
    return False


def open_photo(session: Session, *, blobs: BlobStore, principal: Principal, attachment_id: str, thumbnail: bool) -> Blob:
    """The photo's bytes for a caller allowed to see it; NotFound (404) otherwise, so its existence is not revealed."""
    attachment = session.get(IntakeAttachment, attachment_id) if re.fullmatch(r"[0-9a-f]{32}", attachment_id) else None
    if attachment is None or not may_see(session, principal, attachment):
        raise NotFound(f"attachment {attachment_id[:40]!r} not found")
    try:
        return blobs.get(attachment.thumbnail_key if thumbnail else attachment.blob_key)
    except BlobNotFound:
        raise NotFound(f"attachment {attachment_id!r} not found") from None
