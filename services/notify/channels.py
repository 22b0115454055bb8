"""The channels a message goes out on, behind one interface: `send(Outgoing) -> provider id`, raising ChannelError.
站内信 (a row in notify_inbox), SMS (libs.sms SmsGateway, as sign-up), WeChat template messages (wechatpy), e-mail
(SMTP with aiosmtplib). Which exist is configuration (NotifySettings): e-mail needs NOTIFY_SMTP_HOST, WeChat
NOTIFY_WECHAT_APP_ID/SECRET/TEMPLATE_ID; SMS and the inbox are always there."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import aiosmtplib
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatException

from libs.sms import SmsError, SmsGateway, mask_phone
from libs.observability import get_logger
from services.notify.models import NotifyInboxItem

log = get_logger(__name__)


class NotifySettings(BaseSettings):
    """NOTIFY_* environment: the channels' servers, quiet hours, retries."""

    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    smtp_host: str | None = None  # no host: no e-mail channel
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "长阳镇居民吹哨 <noreply@whistle.local>"
    wechat_app_id: str | None = None  # all three: the WeChat template-message channel
    wechat_app_secret: str | None = None
    wechat_template_id: str | None = None
    wechat_api_base_url: str | None = None  # a WeChat API proxy, or the tests' local double
    portal_url: str | None = None  # the link in e-mails and WeChat messages
    quiet_start_hour: int = 22  # no SMS from 22:00 to 07:00 Beijing time, except emergencies
    quiet_end_hour: int = 7
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    max_attempts: int = 6  # then the message is dead-lettered (staff see it and may retry it)
    poll_seconds: float = 0.5
    lease_seconds: float = 60.0

    def enabled_channels(self) -> frozenset[str]:
        enabled = {"inbox", "sms"}
        if self.smtp_host:
            enabled.add("email")
        if self.wechat_app_id and self.wechat_app_secret and self.wechat_template_id:
            enabled.add("wechat")
        return frozenset(enabled)


def enabled_channels() -> frozenset[str]:
    """The channels this process has (read from the environment on each use: tests start several apps)."""
    return NotifySettings().enabled_channels()


class ChannelError(Exception):
    """The channel did not take the message; `permanent` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    """One message ready to go: the real address (a phone only here, never stored in the clear), the rendered text."""

    message_id: int
    person_id: str
    ticket_id: str | None
    template: str
    to: str | None
    title: str
    body: str
    sms_signature: str = ""


class Channel(Protocol):
    name: str

    async def send(self, message: Outgoing) -> str: ...


class InboxChannel:
    """站内信: one notify_inbox row per message (the unique message id makes a second send a no-op)."""

    name = "inbox"

    def __init__(self, engine: Engine, clock=lambda: datetime.now(timezone.utc)) -> None:  # noqa: ANN001
        self.engine, self.clock = engine, clock

    def _write(self, message: Outgoing) -> str:
        with Session(self.engine) as session:
            existing = session.exec(select(NotifyInboxItem).where(NotifyInboxItem.message_id == message.message_id)).first()
            if existing is not None:
                return f"inbox-{existing.id}"
            item = NotifyInboxItem(
                message_id=message.message_id, person_id=message.person_id, ticket_id=message.ticket_id,
                template=message.template, title=message.title, body=message.body, created_at=self.clock(),
            )
            session.add(item)
            try:
                session.commit()
            except IntegrityError:
                return f"inbox-dup-{message.message_id}"
            return f"inbox-{item.id}"

    async def send(self, message: Outgoing) -> str:
        return await asyncio.to_thread(self._write, message)


class SmsChannel:
    name = "sms"

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    async def send(self, message: Outgoing) -> str:
        if not message.to:
            raise ChannelError("no phone number on file", permanent=True)
        try:
            return await asyncio.to_thread(self.gateway.send, message.to, f"{message.sms_signature}{message.body}")
        except SmsError as exc:
            raise ChannelError(f"SMS to {mask_phone(message.to)}: {exc}") from None


class _WechatClient(WeChatClient):
    """wechatpy's client with the token endpoint under API_BASE_URL too (as intake's media client)."""

    def fetch_access_token(self):  # noqa: ANN201 - wechatpy's signature
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class WechatChannel:
    """模板消息 through the Official Account: `first` the title, `keyword1` the ticket, `keyword2` the text."""

    name = "wechat"

    def __init__(self, settings: NotifySettings) -> None:
        assert settings.wechat_app_id and settings.wechat_app_secret and settings.wechat_template_id
        self.template_id = settings.wechat_template_id
        self.url = settings.portal_url
        self.client = _WechatClient(settings.wechat_app_id, settings.wechat_app_secret, timeout=10)
        if settings.wechat_api_base_url:
            self.client.API_BASE_URL = settings.wechat_api_base_url

    def _send(self, message: Outgoing) -> str:
        data = {
            "first": {"value": message.title},
            "keyword1": {"value": message.ticket_id or "—"},
            "keyword2": {"value": message.body},
            "remark": {"value": "居民吹哨 · 社区转哨 · 部门办哨"},
        }
        try:
            answer = self.client.message.send_template(message.to, self.template_id, data, url=self.url)
        except WeChatException as exc:
            # 43004: the person unfollowed; 40003: not an openid of this account; neither improves with retrying
            permanent = str(getattr(exc, "errcode", "")) in ("43004", "40003")
            raise ChannelError(f"WeChat errcode {getattr(exc, 'errcode', '?')}: {getattr(exc, 'errmsg', exc)}", permanent=permanent) from None
        except OSError as exc:
            raise ChannelError(f"WeChat unreachable: {type(exc).__name__}") from None
        return str(answer.get("msgid", ""))

    async def send(self, message: Outgoing) -> str:
        if not message.to:
            raise ChannelError("no WeChat openid", permanent=True)
        return await asyncio.to_thread(self._send, message)


class EmailChannel:
    name = "email"

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    async def send(self, message: Outgoing) -> str:
        if not message.to:
            raise ChannelError("no e-mail address", permanent=True)
        mail = EmailMessage()
        mail["From"] = self.settings.mail_from
        mail["To"] = message.to
        mail["Subject"] = f"{message.title}（{message.ticket_id}）" if message.ticket_id else message.title
        mail["Message-ID"] = make_msgid(domain="whistle.local")
        link = f"\n\n{self.settings.portal_url.rstrip('/')}/inbox" if self.settings.portal_url else ""
        mail.set_content(f"{message.body}{link}\n\n——居民吹哨 · 社区转哨 · 部门办哨")
        try:
            await aiosmtplib.send(
                mail, hostname=self.settings.smtp_host, port=self.settings.smtp_port,
                username=self.settings.smtp_username, password=self.settings.smtp_password,
                start_tls=self.settings.smtp_starttls, timeout=self.settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"SMTP refused the recipient: {exc}", permanent=True) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP: {type(exc).__name__}: {exc}"[:300]) from None
        return mail["Message-ID"]


def build_channels(settings: NotifySettings, engine: Engine, gateway: SmsGateway) -> dict[str, Channel]:
    channels: dict[str, Channel] = {"inbox": InboxChannel(engine), "sms": SmsChannel(gateway)}
    enabled = settings.enabled_channels()
    if "email" in enabled:
        channels["email"] = EmailChannel(settings)
    if "wechat" in enabled:
        channels["wechat"] = WechatChannel(settings)
    return channels
