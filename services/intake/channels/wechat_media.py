"""A WeChat image message's photo, kept like an uploaded one: the bytes are fetched once, checked and re-encoded by
the same photo check as the web upload (Pillow; EXIF dropped; thumbnail), stored through the `BlobStore`, and the
conversation keeps the `/attachments/<id>.jpg` reference, so the console, the worklist and the resident see the photo
on our own server even after WeChat's temporary URL has expired (it does, after three days).

Where the bytes come from: the message's `PicUrl`, fetched only from WeChat's picture hosts (WECHAT_PIC_HOSTS; a
push is signed, but the URL is still not ours to follow anywhere), at most PHOTO_MAX_BYTES; when that fails and
WECHAT_APP_SECRET is configured, the temporary-material API (`media/get` through wechatpy's client, which takes care
of the access token). A photo that cannot be fetched or is not a picture is not kept; the conversation asks again."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatException
from wechatpy.messages import BaseMessage

from libs.blobs import BlobStore
from libs.blobs.images import PhotoRejected, check_photo
from libs.observability import get_logger
from libs.runtime import Runtime
from services.intake import attachments

log = get_logger(__name__)


class MediaUnavailable(Exception):
    """The picture could not be fetched from WeChat, or what came back is no picture; the reason is for the log."""


@dataclass(frozen=True)
class MediaSource:
    """How to reach WeChat's pictures: the allowed PicUrl hosts and, optionally, the media API (app id + secret)."""

    pic_hosts: frozenset[str]
    app_id: str
    app_secret: str | None = None
    api_base_url: str | None = None  # tests point wechatpy at a local double of api.weixin.qq.com
    timeout_seconds: float = 10.0

    def from_pic_url(self, url: str, max_bytes: int) -> bytes:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "") not in self.pic_hosts:
            raise MediaUnavailable(f"PicUrl host {parts.hostname!r} is not one of WeChat's picture hosts")
        try:
            with httpx.stream("GET", url, timeout=self.timeout_seconds, follow_redirects=False) as response:
                if response.status_code != 200:
                    raise MediaUnavailable(f"PicUrl answered {response.status_code}")
                return _read_at_most(response.iter_bytes(), max_bytes)
        except httpx.HTTPError as exc:
            raise MediaUnavailable(f"PicUrl: {type(exc).__name__}") from None

    def from_media_api(self, media_id: str, max_bytes: int) -> bytes:
        if not self.app_secret:
            raise MediaUnavailable("no WECHAT_APP_SECRET: the media API is not configured")
        client = _client(self.app_id, self.app_secret, self.api_base_url or WeChatClient.API_BASE_URL, self.timeout_seconds)
        try:
            response = client.media.download(media_id)
        except (WeChatException, OSError) as exc:
            raise MediaUnavailable(f"media/get: {type(exc).__name__}") from None
        if response.status_code != 200 or response.headers.get("content-type", "").startswith(("application/json", "text/")):
            raise MediaUnavailable(f"media/get answered {response.status_code} {response.headers.get('content-type')}")
        return _read_at_most([response.content], max_bytes)

    def fetch(self, message: BaseMessage, max_bytes: int) -> bytes:
        reasons = []
        if getattr(message, "image", None):
            try:
                return self.from_pic_url(message.image, max_bytes)
            except MediaUnavailable as exc:
                reasons.append(str(exc))
        if getattr(message, "media_id", None) and self.app_secret:
            try:
                return self.from_media_api(message.media_id, max_bytes)
            except MediaUnavailable as exc:
                reasons.append(str(exc))
        raise MediaUnavailable("; ".join(reasons) or "the message names no picture")


class _MediaClient(WeChatClient):
    """wechatpy's client with the token endpoint under API_BASE_URL too (wechatpy hard-codes api.weixin.qq.com for
    it), so a deployment behind a WeChat API proxy, and the tests' local double, reach both the same way."""

    def fetch_access_token(self):  # noqa: ANN201 - wechatpy's signature
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


@lru_cache(maxsize=4)
def _client(app_id: str, app_secret: str, api_base_url: str, timeout: float) -> WeChatClient:
    """One client per account and process: the access token (2 hours, rate-limited by WeChat) is fetched once and
    reused from the client's session storage. Several processes each keep their own token; with many intake replicas
    give wechatpy a shared session storage (e.g. Redis) instead."""
    client = _MediaClient(app_id, app_secret, timeout=timeout)
    client.API_BASE_URL = api_base_url
    return client


def _read_at_most(chunks, max_bytes: int) -> bytes:  # noqa: ANN001 - any iterable of bytes
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > max_bytes:
            raise MediaUnavailable(f"the picture is larger than {max_bytes} bytes")
    return bytes(data)


def keep_photo(runtime: Runtime, blobs: BlobStore, source: MediaSource, message: BaseMessage) -> str | None:
    """The `/attachments/<id>.jpg` reference of the message's picture, owned by `wechat:<openid>` (the conversation's
    filer, so `link_photos` accepts it); None when it cannot be had (logged with the reason, never the URL's query)."""
    try:
        data = source.fetch(message, runtime.settings.photo_max_bytes)
        photo = check_photo(data)
    except (MediaUnavailable, PhotoRejected) as exc:
        log.warning("wechat_photo_not_kept", msg_id=str(message.id), reason=str(exc))
        return None
    ids = attachments.new_ids(1)

    def store(session: Session) -> list[attachments.StoredPhoto]:
        return attachments.store_photos(
            session, blobs=blobs, photos=[photo], uploaded_by=f"wechat:{message.source}", uploader_role="resident", ids=ids
        )

    try:
        runtime.run(store)
    except BaseException:
        attachments.forget_blobs(blobs, ids)
        raise
    return attachments.reference(ids[0])
