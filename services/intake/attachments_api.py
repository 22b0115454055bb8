"""Photo upload and download for every channel: `POST /attachments` checks each file by its content (Pillow decodes
and re-encodes; EXIF stripped, GPS handed back as a suggestion) and keeps it in the BlobStore; `GET` serves the
photo and its thumbnail to the people allowed to see them."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.auth import Principal, require
from libs.blobs import Blob, BlobStore, open_blob_store
from libs.blobs.images import CheckedPhoto, PhotoRejected, check_photo
from libs.runtime import RuntimeDep
from services.intake import attachments
from services.intake.attachments import MAX_PHOTOS, Location, PhotoRefused, PhotoTooLarge, UploadPublic

router = APIRouter(prefix="/attachments", tags=["attachments"])

# volunteer: 圆梦 photos (the wishes service takes their references; intake links them to the wish's ticket)
Uploader = Annotated[Principal, Depends(require("resident", "grid_worker", "community_staff", "admin", "volunteer"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Viewer = Annotated[
    Principal,
    Depends(require("resident", "grid_worker", "community_staff", "department_staff", "supervisor", "leader", "admin", "volunteer")),
]
FIELD = "files"
FORM_OVERHEAD = 256 * 1024  # multipart boundaries and headers around the files
MB = 1024 * 1024


def blob_store(request: Request) -> BlobStore:
    """The app's BlobStore, opened from its settings on first use (nothing connects at import or start)."""
    store = getattr(request.app.state, "blobs", None)
    if store is None:
        store = request.app.state.blobs = open_blob_store(request.app.state.runtime.settings)
    return store


BlobsDep = Annotated[BlobStore, Depends(blob_store)]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {
                        FIELD: {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "maxItems": MAX_PHOTOS,
                            "description": "1 to 9 photos (JPEG, PNG or WebP), each at most PHOTO_MAX_BYTES (10 MB)",
                        }
                    },
                }
            }
        },
    }
}


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


async def _read_files(request: Request, limit: int) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each uploaded file, or the refusal naming the field; nothing has been stored yet."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PHOTOS * limit + FORM_OVERHEAD:
        raise PhotoTooLarge(
            f"{FIELD}: the upload is {_megabytes(int(declared))}; at most {MAX_PHOTOS} photos of {_megabytes(limit)} each"
        )
    try:
        form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=20)
    except StarletteHTTPException as exc:
        raise PhotoRefused(f"{FIELD}: the upload is not a readable multipart form ({exc.detail})") from None
    try:
        values = form.getlist(FIELD)
        if not values:
            raise PhotoRefused(f"{FIELD}: no photo in the upload (send multipart/form-data with one or more '{FIELD}')")
        if len(values) > MAX_PHOTOS:
            raise PhotoRefused(f"{FIELD}: {len(values)} photos; at most {MAX_PHOTOS} per ticket")
        files: list[tuple[str, bytes]] = []
        for number, value in enumerate(values, start=1):
            if not isinstance(value, UploadFile):
                raise PhotoRefused(f"{FIELD}: item {number} is a text field, not a file")
            name = (value.filename or f"photo {number}")[:60]
            data = await value.read(limit + 1)
            if len(data) > limit:
                size = value.size if value.size is not None else len(data)
                raise PhotoTooLarge(f"{FIELD}: {name!r} is {_megabytes(size)}; a photo may be at most {_megabytes(limit)}")
            files.append((name, data))
        return files
    finally:
        await form.close()


def _check_all(files: list[tuple[str, bytes]]) -> list[CheckedPhoto]:
    """Every file through the photo check (CPU-bound: run in a thread); the first refusal names the file."""
    checked = []
    for name, data in files:
        try:
            checked.append(check_photo(data))
        except PhotoRejected as exc:
            raise PhotoRefused(f"{FIELD}: {name!r} is not accepted: {exc}") from None
    return checked


@router.post(
    "",
    response_model=UploadPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Upload photos for a filing (1-9); put the returned `url`s in the filing's `attachments`",
    openapi_extra=_UPLOAD_BODY,
    responses={
        413: {"description": "A photo is larger than PHOTO_MAX_BYTES (10 MB); nothing was stored"},
        422: {"description": "Not a JPEG, PNG or WebP image, damaged, none or more than 9; nothing was stored"},
    },
)
async def upload_photos(request: Request, principal: Uploader, runtime: RuntimeDep, blobs: BlobsDep) -> UploadPublic:
    files = await _read_files(request, runtime.settings.photo_max_bytes)
    checked = await asyncio.to_thread(_check_all, files)
    ids = attachments.new_ids(len(checked))

    def store() -> list[attachments.StoredPhoto]:
        try:
            return runtime.run(
                attachments.store_photos, blobs=blobs, photos=checked, uploaded_by=principal.sub,
                uploader_role=principal.role, ids=ids,
            )
        except BaseException:
            attachments.forget_blobs(blobs, ids)
            raise

    photos = [attachments.public(s) for s in await asyncio.to_thread(store)]
    first_location: Location | None = next((p.suggested_location for p in photos if p.suggested_location), None)
    return UploadPublic(photos=photos, suggested_location=first_location)


def _image(blob: Blob) -> Response:
    return Response(
        blob.data,
        media_type=blob.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


_IMAGE = {200: {"content": {"image/jpeg": {}}, "description": "The photo (JPEG)"}, 404: {"description": "Not yours to see"}}


@router.get("/{attachment_id}.jpg", response_class=Response, responses=_IMAGE, summary="A photo, full size")
def get_photo(attachment_id: str, principal: Viewer, runtime: RuntimeDep, blobs: BlobsDep) -> Response:
    return _image(
        runtime.read(attachments.open_photo, blobs=blobs, principal=principal, attachment_id=attachment_id, thumbnail=False)
    )


@router.get("/{attachment_id}/thumbnail.jpg", response_class=Response, responses=_IMAGE, summary="A photo's thumbnail")
def get_thumbnail(attachment_id: str, principal: Viewer, runtime: RuntimeDep, blobs: BlobsDep) -> Response:
    return _image(
        runtime.read(attachments.open_photo, blobs=blobs, principal=principal, attachment_id=attachment_id, thumbnail=True)
    )


@router.delete("/unfiled", summary="Remove photos uploaded but never named by a filing (run it daily, e.g. from cron)")
def purge_unfiled(
    _admin: Admin,
    runtime: RuntimeDep,
    blobs: BlobsDep,
    older_than_hours: Annotated[float, Query(ge=0, le=24 * 365, description="Only uploads older than this")] = 24,
) -> dict[str, int]:
    uploaded_before = datetime.now(timezone.utc) - timedelta(hours=older_than_hours)
    removed = runtime.run(attachments.purge_unfiled, uploaded_before=uploaded_before)
    attachments.forget_blobs(blobs, removed)
    return {"removed": len(removed)}
