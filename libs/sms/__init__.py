"""Text messages to residents (ticket numbers, sign-up codes, resolution notices) through a pluggable `SmsGateway`:
`HttpSmsGateway` for a provider in production, `DevSmsSink` in development (messages kept in a file under DATA_DIR
and shown on the portal's dev-only page). Numbers are never logged in clear: logs carry the masked number and the
message id only."""
from __future__ import annotations

import os
import re
import threading
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol

import httpx
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.observability import get_logger
from libs.settings import get_settings

log = get_logger(__name__)


class SmsError(RuntimeError):
    """The gateway did not accept the message; the caller decides whether to retry."""


class SmsGateway(Protocol):
    """Sends one text message and returns the provider's message id."""

    def send(self, phone: str, text: str) -> str: ...


class SmsSettings(BaseSettings):
    """SMS_GATEWAY=http with SMS_HTTP_URL (and SMS_HTTP_TOKEN) in production; `dev` keeps messages in SMS_SINK_FILE."""

    model_config = SettingsConfigDict(env_prefix="SMS_", extra="ignore")

    gateway: Literal["dev", "http"] = "dev"
    http_url: str | None = None
    http_token: str | None = None  # sent as `Authorization: Bearer <token>`
    http_timeout_seconds: float = 5.0
    sink_file: Path | None = None  # default: DATA_DIR/sms_sink.jsonl


def mask_phone(phone: str) -> str:
    """138****5678, the only form of a number that may reach a log line."""
    digits = re.sub(r"\D", "", phone)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


class HttpSmsGateway:
    """A provider's HTTP API: POST {"to", "text"} as JSON, answered with {"message_id": ...} (2xx)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout = timeout
        self.client = client

    def send(self, phone: str, text: str) -> str:
        try:
            if self.client is not None:
                response = self.client.post(self.url, json={"to": phone, "text": text}, headers=self.headers, timeout=self.timeout)
            else:
                response = httpx.post(self.url, json={"to": phone, "text": text}, headers=self.headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            log.warning("sms_send_failed", to=mask_phone(phone), error=type(exc).__name__)
            raise SmsError(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            log.warning("sms_send_failed", to=mask_phone(phone), status=response.status_code)
            raise SmsError(f"SMS gateway answered {response.status_code}")
        try:
            message_id = str(response.json()["message_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SmsError("SMS gateway answered without a message_id") from exc
        log.info("sms_sent", to=mask_phone(phone), message_id=message_id, gateway="http")
        return message_id


class SinkMessage(BaseModel):
    message_id: str
    phone: str
    text: str
    sent_at: datetime


class DevSmsSink:
    """Development only: keeps every message in a JSON-lines file the portal's dev page reads (several processes
    append to it; each message is one line written with O_APPEND)."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, phone: str, text: str) -> str:
        message = SinkMessage(message_id=f"dev-{uuid.uuid4().hex[:12]}", phone=phone, text=text, sent_at=datetime.now(timezone.utc))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (message.model_dump_json() + "\n").encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        log.info("sms_sent", to=mask_phone(phone), message_id=message.message_id, gateway="dev")
        return message.message_id

    def messages(self, limit: int = 100) -> list[SinkMessage]:
        """The newest messages first."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [SinkMessage.model_validate_json(line) for line in reversed(lines[-limit:]) if line.strip()]


def sink_path(settings: SmsSettings | None = None, data_dir: Path | None = None) -> Path:
    """SMS_SINK_FILE, else sms_sink.jsonl in DATA_DIR (one file for every process of a `make run`)."""
    settings = settings or SmsSettings()
    return settings.sink_file or (data_dir or get_settings().data_dir) / "sms_sink.jsonl"


def build_gateway(settings: SmsSettings | None = None) -> SmsGateway:
    """The gateway the settings name; the dev sink is refused in production so no code lands in a file there."""
    settings = settings or SmsSettings()
    if settings.gateway == "http":
        if not settings.http_url:
            raise ValueError("SMS_HTTP_URL must be set when SMS_GATEWAY=http")
        return HttpSmsGateway(settings.http_url, settings.http_token, settings.http_timeout_seconds)
    if get_settings().env == "production":
        raise ValueError("SMS_GATEWAY=dev keeps messages in a file; set SMS_GATEWAY=http in production")
    return DevSmsSink(sink_path(settings))


@lru_cache
def get_sms_gateway() -> SmsGateway:
    """The process's gateway (a FastAPI dependency; tests override it)."""
    return build_gateway()


__all__ = [
    "DevSmsSink", "HttpSmsGateway", "SinkMessage", "SmsError", "SmsGateway", "SmsSettings", "build_gateway",
    "get_sms_gateway", "mask_phone", "sink_path",
]
