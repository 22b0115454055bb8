"""WeChat Official Account (微信公众号) message callback: the real protocol through wechatpy.

GET verifies the server (signature over token, timestamp, nonce; echostr back). POST carries a message: the
signature (and in safe mode the msg_signature over the encrypted body) must match the configured token and the
timestamp must be fresh, else 403 and nothing is read. A conversation keyed by openid collects category,
description, photo (fetched and kept like an uploaded one, wechat_media.py) and location (the position places it in its grid; without one, the resident picks the
community from a numbered list), then files one `FileTicket` (channel "wechat", filed_by "wechat:<openid>",
idempotent by the MsgId of the message that completed it) and answers with the passive XML reply carrying the ticket
number. Every MsgId is recorded with its answer, so WeChat's retries (three, 5 s apart) get the same answer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic_settings import SettingsConfigDict
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from libs.directory import Directory, get_directory
from libs.events import Actor
from libs.observability import get_logger
from libs.runtime import RuntimeDep
from libs.statemachine import DomainError, Forbidden
from services.intake import filing
from services.intake.channels.settings import SignedChannelSettings
from services.intake.attachments_api import blob_store
from services.intake.channels.state import IntakeChannelMessage, IntakeWechatConversation
from services.intake.channels.wechat_media import MediaSource, keep_photo
from services.intake.filing import FileTicket

log = get_logger(__name__)
router = APIRouter(prefix="/channels/wechat", tags=["wechat"])
DEV_TOKEN = "whistle-wechat-dev-token"
MAX_PHOTOS = 9
SKIP = {"跳过", "无", "没有", "skip"}
CANCEL = {"取消", "退出", "cancel"}


class WechatSettings(SignedChannelSettings):
    """WECHAT_TOKEN, WECHAT_APP_ID and, for 安全模式, WECHAT_ENCODING_AES_KEY (43 characters) from the 公众平台."""

    model_config = SettingsConfigDict(env_prefix="WECHAT_")
    SHARED_SECRET = (
        "token", DEV_TOKEN, "WECHAT_TOKEN must be set to the token configured in the 公众平台 when WHISTLE_ENV=production"
    )

    token: str = DEV_TOKEN
    app_id: str = "wxwhistledevapp0001"
    encoding_aes_key: str | None = None
    conversation_ttl_seconds: int = 1800
    # Image messages: where their pictures may be fetched from (wechat_media.py); the secret enables the media API.
    pic_hosts: str = "mmbiz.qpic.cn,mmbiz.qlogo.cn"
    app_secret: str | None = None
    api_base_url: str | None = None

    def media_source(self) -> MediaSource:
        hosts = frozenset(h.strip() for h in self.pic_hosts.split(",") if h.strip())
        return MediaSource(pic_hosts=hosts, app_id=self.app_id, app_secret=self.app_secret, api_base_url=self.api_base_url)


@lru_cache
def get_wechat_settings() -> WechatSettings:
    return WechatSettings()


Settings = Annotated[WechatSettings, Depends(get_wechat_settings)]


# --- the conversation (no I/O) ---

def category_menu(directory: Directory) -> str:
    lines = [f"{i}. {c.name}" for i, c in enumerate(directory.categories, 1)]
    return "您好，这里是居民吹哨。请回复数字选择问题类别：\n" + "\n".join(lines) + "\n（随时回复“取消”可重新开始）"


def community_menu(directory: Directory) -> str:
    lines = [f"{i}. {c.name}" for i, c in enumerate(directory.communities, 1)]
    return "请回复数字选择问题所在的社区：\n" + "\n".join(lines)


PHOTO_NOT_RECEIVED = "抱歉，这张图片没能收到，请重新发送；没有照片请回复“跳过”。"
PROMPTS = {
    "description": "请用文字描述您遇到的问题（2至2000字）。",
    "photo": "请发送一张现场照片；没有照片请回复“跳过”。",
    "location": "请发送问题所在位置（聊天窗口“+” → “位置”）；不便发送请回复“跳过”，再选择所在社区。",
}


def _pick(text: str | None, count: int) -> int | None:
    """The 0-based choice in a numbered list, or None."""
    text = (text or "").strip()
    return int(text) - 1 if text.isdigit() and 1 <= int(text) <= count else None


def advance(
    conversation: IntakeWechatConversation, message: BaseMessage, directory: Directory, photo: str | None = None
) -> str | None:
    """Take one message into the conversation; return the next question, or None when everything is collected.
    `photo` is an image message's picture as kept on our side (wechat_media.py); None if it could not be kept."""
    text = (getattr(message, "content", None) or "").strip() if message.type == "text" else None
    if message.type == "image":
        if photo is None:
            return PHOTO_NOT_RECEIVED
        if len(conversation.attachments) < MAX_PHOTOS:
            conversation.attachments = [*conversation.attachments, photo]
    if message.type == "location":
        conversation.latitude, conversation.longitude = float(message.location_x), float(message.location_y)
        conversation.address = (message.label or "")[:200] or None
    step = conversation.step
    if step == "category":
        choice = _pick(text, len(directory.categories))
        if choice is None:
            return category_menu(directory)
        conversation.category = directory.categories[choice].id
        conversation.step = "description"
        return PROMPTS["description"]
    if step == "description":
        if text is None or not 2 <= len(text) <= 2000:
            return "问题描述：" + PROMPTS["description"]
        conversation.description = text
        conversation.step = "photo"
    elif step == "photo":
        if not (conversation.attachments or text in SKIP):
            return PROMPTS["photo"]
        conversation.step = "location"
    elif step == "location":
        if conversation.latitude is not None:
            return None
        if text not in SKIP:
            return PROMPTS["location"]
        conversation.step = "community"
        return community_menu(directory)
    elif step == "community":
        choice = _pick(text, len(directory.communities))
        if conversation.latitude is None and choice is None:
            return community_menu(directory)
        if choice is not None:
            conversation.community_id = directory.communities[choice].id
        return None
    # a photo or a position that came early is not asked for again
    if conversation.step == "photo":
        if not conversation.attachments:
            return PROMPTS["photo"]
        conversation.step = "location"
    return PROMPTS["location"] if conversation.latitude is None else None


def wechat_filing(conversation: IntakeWechatConversation, msg_id: str) -> FileTicket:
    description = conversation.description or ""
    return FileTicket(
        channel="wechat",
        actor=Actor(role="resident", id=f"wechat:{conversation.openid}"),
        filed_by=f"wechat:{conversation.openid}",
        idempotency_key=f"wechat-msg:{msg_id}",
        title=description.splitlines()[0][:30],
        description=description,
        category=conversation.category or "",
        community_id=conversation.community_id,
        address=conversation.address,
        latitude=conversation.latitude,
        longitude=conversation.longitude,
        attachments=tuple(conversation.attachments),
        reporter_id=f"wechat:{conversation.openid}",
    )


# --- the use case ---

def converse(session: Session, *, message: BaseMessage, ttl_seconds: int, photo: str | None = None) -> str:
    """One pushed message: its recorded answer if seen before, else the conversation's next step (maybe a filing).
    `photo`: an image message's picture, already kept (`wechat_media.keep_photo`)."""
    openid = message.source
    if message.type == "event":
        return category_menu(get_directory()) if getattr(message, "event", "") == "subscribe" else ""
    msg_id = str(message.id)
    conversation = session.exec(  # locked first: a concurrent retry waits here, then finds the answer recorded
        select(IntakeWechatConversation).where(IntakeWechatConversation.openid == openid).with_for_update()
    ).first()
    seen = session.get(IntakeChannelMessage, ("wechat", msg_id))
    if seen is not None:
        return seen.reply or ""
    now = datetime.now(timezone.utc)
    if conversation is not None and _aware(conversation.expires_at) <= now:
        session.delete(conversation)
        session.flush()
        conversation = None
    text = (getattr(message, "content", None) or "").strip() if message.type == "text" else ""
    ticket_id = None
    if text in CANCEL:
        if conversation is not None:
            session.delete(conversation)
        reply = "已取消本次反映。需要时再发任意消息即可重新开始。"
    elif message.type not in ("text", "image", "location"):
        reply = "暂不支持这类消息，请发送文字、图片或位置。"
    else:
        if conversation is None:
            conversation = IntakeWechatConversation(openid=openid, step="category", attachments=[], expires_at=now)
        question = advance(conversation, message, get_directory(), photo)
        if question is None:
            try:
                with session.begin_nested():  # a refused filing leaves nothing of itself behind
                    ticket, _ = filing.file_ticket(session, wechat_filing(conversation, msg_id))
            except DomainError as exc:
                log.warning("wechat_filing_refused", msg_id=msg_id, error=str(exc))
                question = "很抱歉，提交未成功，请稍后再发送位置或回复“跳过”重试；回复“取消”可重新开始。"
            else:
                ticket_id = ticket.id
                session.delete(conversation)
                reply = f"您反映的问题已受理，工单号：{ticket.id}。我们会尽快处理，请留意办理结果。"
        if question is not None:
            conversation.expires_at = now + timedelta(seconds=ttl_seconds)
            session.add(conversation)
            reply = question
    session.add(
        IntakeChannelMessage(channel="wechat", message_id=msg_id, sender_key=f"wechat:{openid}", ticket_id=ticket_id,
                             reply=reply, received_at=now)
    )
    return reply


def recorded_reply(session: Session, *, channel: str, message_id: str) -> str:
    seen = session.get(IntakeChannelMessage, (channel, message_id))
    return (seen.reply if seen else None) or ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --- HTTP ---

def _check_fresh_and_signed(settings: WechatSettings, signature: str, timestamp: str, nonce: str) -> None:
    settings.check_fresh(timestamp, header="timestamp", what="request")
    try:
        check_signature(settings.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise Forbidden("signature: does not match the configured token") from None


def _crypto(settings: WechatSettings) -> WeChatCrypto:
    if not settings.encoding_aes_key:
        raise Forbidden("encrypt_type: safe mode is not configured (WECHAT_ENCODING_AES_KEY)")
    return WeChatCrypto(settings.token, settings.encoding_aes_key, settings.app_id)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.get("", response_class=PlainTextResponse, summary="Server verification (服务器配置): echo echostr when signed",
            responses={403: {"description": "Forged or stale: the signature or timestamp does not check out"}})
def verify(
    settings: Settings,
    signature: Annotated[str, Query(max_length=64)],
    timestamp: Annotated[str, Query(max_length=20)],
    nonce: Annotated[str, Query(max_length=64)],
    echostr: Annotated[str, Query(max_length=512)],
) -> str:
    _check_fresh_and_signed(settings, signature, timestamp, nonce)
    return echostr


@router.post(
    "",
    summary="Message push (消息推送): answer with a passive XML reply",
    responses={403: {"description": "Forged or stale: nothing is read or filed"}},
)
def receive(
    request: Request,
    settings: Settings,
    runtime: RuntimeDep,
    body: Annotated[bytes, Depends(_raw_body)],
    signature: Annotated[str, Query(max_length=64)],
    timestamp: Annotated[str, Query(max_length=20)],
    nonce: Annotated[str, Query(max_length=64)],
    encrypt_type: Annotated[str, Query(max_length=10)] = "raw",
    msg_signature: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    _check_fresh_and_signed(settings, signature, timestamp, nonce)
    encrypted = encrypt_type == "aes"
    xml = body
    if encrypted:
        try:
            xml = _crypto(settings).decrypt_message(body, msg_signature or "", timestamp, nonce)
        except (InvalidSignatureException, InvalidAppIdException):
            raise Forbidden("msg_signature: the encrypted message is not signed with the configured token") from None
        except Exception:  # noqa: BLE001 - a body that does not decrypt is a forgery too
            raise Forbidden("Encrypt: the message does not decrypt with the configured EncodingAESKey") from None
    try:
        message = parse_message(xml)
    except Exception:  # noqa: BLE001 - not WeChat's XML
        raise DomainError("body: not a WeChat message") from None
    if message is None or not message.source:
        raise DomainError("body: not a WeChat message")
    photo = None
    if message.type == "image" and not runtime.read(recorded_reply, channel="wechat", message_id=str(message.id)):
        photo = keep_photo(runtime, blob_store(request), settings.media_source(), message)  # a retry fetches nothing again
    try:
        answer = runtime.run(converse, message=message, ttl_seconds=settings.conversation_ttl_seconds, photo=photo)
    except IntegrityError:  # the same MsgId was recorded meanwhile (a concurrent retry): answer as it was answered
        answer = runtime.read(recorded_reply, channel="wechat", message_id=str(message.id))
    log.info("wechat_message", msg_type=message.type, msg_id=str(message.id))
    if not answer:
        return PlainTextResponse("success")
    reply = TextReply(message=message, content=answer).render()
    if encrypted:
        reply = _crypto(settings).encrypt_message(reply, nonce, timestamp)
    return Response(reply, media_type="application/xml")
