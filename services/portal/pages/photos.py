"""Photos through the portal: the 我要吹哨 picker uploads here (`POST /file/photos`, sent on to intake with the
person's own token), and every page shows a ticket's photos from `/attachments/...`, fetched from intake as the
viewer, so the portal never shows a photo to someone intake would not."""
from __future__ import annotations

import re

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from libs.auth import ROLES
from libs.observability import get_logger
from services.portal.labels import PHOTO_LABELS, PHOTO_REJECTIONS
from services.portal.views import BackendsDep, ResidentPage, Viewer, page_for

log = get_logger(__name__)
router = APIRouter()

MAX_PHOTOS = 9
MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_ID = re.compile(r"^[0-9a-f]{32}$")
AnyoneLoggedIn = Depends(page_for(*ROLES))


def _refused(message: str, status_code: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code)


@router.post("/file/photos", summary="我要吹哨: upload the picked photos to intake (JSON for the page's script)")
async def upload_photos(request: Request, viewer: ResidentPage, clients: BackendsDep) -> Response:
    try:
        form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=10)
    except StarletteHTTPException:
        return _refused(PHOTO_LABELS["too_many"].format(max=MAX_PHOTOS), 422)
    try:
        picked = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
        if not picked:
            return _refused(f"{PHOTO_LABELS['field']}：请选择要上传的照片。", 422)
        if len(picked) > MAX_PHOTOS:
            return _refused(PHOTO_LABELS["too_many"].format(max=MAX_PHOTOS), 422)
        files = []
        for photo in picked:
            data = await photo.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                return _refused(PHOTO_REJECTIONS[413], 413)
            files.append(("files", (photo.filename or "photo.jpg", data, photo.content_type or "application/octet-stream")))
    finally:
        await form.close()
    try:
        reply = await clients.clients["intake"].post(
            "/attachments", files=files, headers={"Authorization": f"Bearer {viewer.token}"}, timeout=60
        )
    except httpx.HTTPError as exc:
        log.warning("photo_upload_unreachable", error=type(exc).__name__)
        return _refused(PHOTO_LABELS["failed"], 503)
    if reply.status_code in PHOTO_REJECTIONS:
        log.info("photo_upload_refused", status=reply.status_code, detail=reply.text[:300])
        return _refused(PHOTO_REJECTIONS[reply.status_code], reply.status_code)
    if reply.status_code != 201:
        log.warning("photo_upload_failed", status=reply.status_code)
        return _refused(PHOTO_LABELS["failed"], 502 if reply.status_code >= 500 else reply.status_code)
    return JSONResponse(reply.json(), status_code=201)


async def _photo(clients: BackendsDep, viewer: Viewer, path: str) -> Response:
    try:
        reply = await clients.clients["intake"].get(path, headers={"Authorization": f"Bearer {viewer.token}"})
    except httpx.HTTPError as exc:
        log.warning("photo_unreachable", error=type(exc).__name__)
        return Response(status_code=503)
    if reply.status_code != 200:
        return Response(status_code=404 if reply.status_code in (403, 404, 422) else reply.status_code)
    return Response(
        reply.content,
        media_type=reply.headers.get("content-type", "image/jpeg"),
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/attachments/{attachment_id}.jpg", summary="A ticket's photo, full size (as the viewer may see it)")
async def photo(attachment_id: str, clients: BackendsDep, viewer: Viewer = AnyoneLoggedIn) -> Response:
    if not ATTACHMENT_ID.match(attachment_id):
        return Response(status_code=404)
    return await _photo(clients, viewer, f"/attachments/{attachment_id}.jpg")


@router.get("/attachments/{attachment_id}/thumbnail.jpg", summary="A ticket's photo, thumbnail")
async def thumbnail(attachment_id: str, clients: BackendsDep, viewer: Viewer = AnyoneLoggedIn) -> Response:
    if not ATTACHMENT_ID.match(attachment_id):
        return Response(status_code=404)
    return await _photo(clients, viewer, f"/attachments/{attachment_id}/thumbnail.jpg")
