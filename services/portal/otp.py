"""One-time SMS codes (短信验证码) for signing up and signing in with a mobile number.

A code is 6 random digits, kept only as a keyed hash (HMAC-SHA256 with the portal's secret, bound to the number and the
purpose), valid for 5 minutes and for at most 5 tries; a newer code for the same number and purpose replaces the older
one. Sending is throttled per number: 60 seconds between two codes and at most 5 codes an hour; and per client address
(PORTAL_OTP_PER_CLIENT, default 10/3600: codes per address per hour, or `off`), so nobody makes the district pay for
texts by cycling numbers. The number and the address are stored only as keyed hashes; neither the number, the address
nor the code ever reaches a log line. The clock is injectable so the rules are tested without sleeping."""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import DateTime, delete, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.observability import get_logger
from libs.pii import get_vault, mask_phone, normalize_phone
from libs.sms import SmsError, SmsGateway, get_sms_gateway

log = get_logger(__name__)

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)
HOURLY_CAP = 5  # codes per number in any 60 minutes, whatever their purpose
KEEP_FOR = timedelta(days=1)  # older codes are deleted
SIGNATURE = "【居民吹哨】"  # the provider-registered signature every text of the project carries


@dataclass(frozen=True)
class ClientLimit:
    """At most `count` codes sent in any `seconds` for requests from one client address."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, spec: str) -> "ClientLimit | None":
        """'10/3600' -> ClientLimit(10, 3600); 'off' (or empty) -> None."""
        spec = spec.strip().lower()
        if spec in ("", "off", "none"):
            return None
        count, _, seconds = spec.partition("/")
        limit = cls(int(count), int(seconds or 3600))
        if limit.count < 1 or not 0 < limit.seconds <= KEEP_FOR.total_seconds():
            raise ValueError(f"PORTAL_OTP_PER_CLIENT {spec!r}: COUNT/SECONDS, both above zero and at most a day, or 'off'")
        return limit


class OtpSettings(BaseSettings):
    """PORTAL_OTP_PER_CLIENT: codes per client address (COUNT/SECONDS or off); PORTAL_TRUSTED_PROXIES: the proxies
    whose X-Forwarded-For names the client (comma-separated addresses; none by default)."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    otp_per_client: str = "10/3600"
    trusted_proxies: str = ""

    def client_limit(self) -> ClientLimit | None:
        return ClientLimit.parse(self.otp_per_client)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The requesting address: the peer's, or behind a trusted proxy the last address its X-Forwarded-For added."""
        trusted = {a.strip() for a in self.trusted_proxies.split(",") if a.strip()}
        if forwarded_for and peer in trusted:
            return forwarded_for.split(",")[-1].strip() or peer
        return peer


class OtpPurpose(StrEnum):
    register = "register"
    login = "login"


PURPOSE_TEXT = {OtpPurpose.register: "注册", OtpPurpose.login: "登录"}


class PortalOtp(SQLModel, table=True):
    """One code sent to one number for one purpose."""

    __tablename__ = "portal_otp"

    id: int | None = Field(default=None, primary_key=True)
    phone_hash: str = Field(max_length=64, index=True)
    client_hash: str | None = Field(default=None, max_length=64, index=True)  # the requesting address, keyed hash
    purpose: str = Field(max_length=20)
    code_hash: str = Field(max_length=64)
    sent_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    tries: int = 0
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))  # accepted, or replaced by a newer code


class OtpError(Exception):
    """A code that cannot be sent or accepted; `message` is what the person reads next to the field."""

    status_code = 422
    field = "code"
    message = "验证码不正确"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class CodeMissing(OtpError):
    message = "请先获取验证码"


class CodeExpired(OtpError):
    message = "验证码已过期，请重新获取"


class CodeWrong(OtpError):
    def __init__(self, tries_left: int) -> None:
        super().__init__(f"验证码不正确，还可以再试 {tries_left} 次")
        self.tries_left = tries_left


class TooManyTries(OtpError):
    status_code = 429
    message = "验证码输错次数过多，已失效，请重新获取"


class Throttled(OtpError):
    """429 with Retry-After: the number asked for codes too often."""

    status_code = 429
    field = "phone"

    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SendFailed(OtpError):
    status_code = 503
    field = "phone"
    message = "短信发送失败，请稍后再试"


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every one stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _seconds(span: timedelta) -> int:
    return max(1, math.ceil(span.total_seconds()))


def _wait_text(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 120 else f"{math.ceil(seconds / 60)} 分钟"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class OtpStore:
    """Sends and checks codes; the portal_otp table behind one engine."""

    def __init__(
        self,
        engine: Engine,
        secret: str,
        *,
        gateway: Callable[[], SmsGateway] = get_sms_gateway,
        clock: Callable[[], datetime] = utcnow,
        per_client: ClientLimit | None = ClientLimit(10, 3600),
    ) -> None:
        self.engine = engine
        self._secret = secret.encode()
        self._gateway = gateway
        self._clock = clock
        self.per_client = per_client

    def _client_hash(self, client: str) -> str:
        return hmac.new(self._secret, f"client:{client}".encode(), hashlib.sha256).hexdigest()

    def _check_client(self, session: Session, client_hash: str, now: datetime) -> None:
        """Throttled when the address had `per_client.count` codes sent within the window."""
        limit = self.per_client
        if limit is None:
            return
        window = timedelta(seconds=limit.seconds)
        sent = [
            _aware(moment)
            for moment in session.exec(
                select(PortalOtp.sent_at)
                .where(PortalOtp.client_hash == client_hash, PortalOtp.sent_at > now - window)
                .order_by(col(PortalOtp.sent_at).desc())
                .limit(limit.count)
            )
        ]
        if len(sent) >= limit.count:
            wait = _seconds(sent[-1] + window - now)
            raise Throttled(wait, f"本网络获取验证码过于频繁（{_wait_text(limit.seconds)}内最多 {limit.count} 次），请 {_wait_text(wait)}后再试")

    def _code_hash(self, phone_hash: str, purpose: OtpPurpose, code: str) -> str:
        message = f"{purpose.value}:{phone_hash}:{code}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def send(self, phone: str, purpose: OtpPurpose, client: str | None = None) -> datetime:
        """Text a fresh code to `phone` (replacing any earlier one for `purpose`); returns when it expires.
        Throttled when the number had a code less than a minute ago or 5 in the last hour, or the `client` address
        reached its limit (`per_client`); SendFailed when the gateway refuses (then nothing is recorded, so the
        person may try again at once)."""
        phone_hash = get_vault().phone_hash(phone)
        client_hash = self._client_hash(client) if client else None
        now = self._clock()
        with Session(self.engine) as session:
            if client_hash is not None:
                self._lock_number(session, client_hash)
                self._check_client(session, client_hash, now)
            self._lock_number(session, phone_hash)
            recent = [
                _aware(moment)
                for moment in session.exec(
                    select(PortalOtp.sent_at)
                    .where(PortalOtp.phone_hash == phone_hash, PortalOtp.sent_at > now - timedelta(hours=1))
                    .order_by(col(PortalOtp.sent_at))
                )
            ]
            if recent and now - recent[-1] < RESEND_AFTER:
                wait = _seconds(recent[-1] + RESEND_AFTER - now)
                raise Throttled(wait, f"获取验证码太频繁，请 {_wait_text(wait)}后再试")
            if len(recent) >= HOURLY_CAP:
                wait = _seconds(recent[-HOURLY_CAP] + timedelta(hours=1) - now)
                raise Throttled(wait, f"该手机号一小时内获取验证码已达 {HOURLY_CAP} 次，请 {_wait_text(wait)}后再试")
            session.execute(
                delete(PortalOtp)
                .where(col(PortalOtp.phone_hash) == phone_hash, col(PortalOtp.sent_at) < now - KEEP_FOR)
            )
            session.execute(
                update(PortalOtp)
                .where(col(PortalOtp.phone_hash) == phone_hash, col(PortalOtp.purpose) == purpose.value)
                .where(col(PortalOtp.used_at).is_(None))
                .values(used_at=now)
            )
            code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
            expires_at = now + CODE_TTL
            session.add(PortalOtp(
                phone_hash=phone_hash, client_hash=client_hash, purpose=purpose.value, code_hash=self._code_hash(phone_hash, purpose, code),
                sent_at=now, expires_at=expires_at,
            ))
            session.flush()
            text_ = (
                f"{SIGNATURE}您的{PURPOSE_TEXT[purpose]}验证码是{code}，{int(CODE_TTL.total_seconds() // 60)}分钟内有效。"
                "请勿告诉他人；如非本人操作，请忽略本短信。"
            )
            try:
                self._gateway().send(normalize_phone(phone), text_)
            except SmsError as exc:
                session.rollback()
                log.warning("otp_send_failed", to=mask_phone(phone), purpose=purpose.value, error=str(exc)[:200])
                raise SendFailed() from exc
            session.commit()
        log.info("otp_sent", to=mask_phone(phone), purpose=purpose.value)
        return expires_at

    def verify(self, phone: str, purpose: OtpPurpose, code: str) -> None:
        """Accept `code` for `phone` and `purpose` once, or raise: CodeMissing (none sent, or used), CodeExpired,
        TooManyTries (the 5th wrong one, and every try after it), CodeWrong (with the tries left). Every try counts,
        claimed atomically, so parallel guesses cannot get more than 5 between them."""
        phone_hash = get_vault().phone_hash(phone)
        now = self._clock()
        with Session(self.engine) as session:
            otp = session.exec(
                select(PortalOtp)
                .where(PortalOtp.phone_hash == phone_hash, PortalOtp.purpose == purpose.value)
                .where(col(PortalOtp.used_at).is_(None))
                .order_by(col(PortalOtp.sent_at).desc(), col(PortalOtp.id).desc())
            ).first()
            if otp is None:
                raise CodeMissing()
            if now >= _aware(otp.expires_at):
                raise CodeExpired()
            otp_id, tries_before, code_hash = otp.id, otp.tries, otp.code_hash
            claimed = session.execute(
                update(PortalOtp)
                .where(col(PortalOtp.id) == otp_id, col(PortalOtp.tries) < MAX_TRIES, col(PortalOtp.used_at).is_(None))
                .values(tries=col(PortalOtp.tries) + 1)
            )
            session.commit()
            if claimed.rowcount != 1:
                raise TooManyTries()
            tries_left = MAX_TRIES - (tries_before + 1)
            if not hmac.compare_digest(self._code_hash(phone_hash, purpose, code.strip()), code_hash):
                log.info("otp_rejected", purpose=purpose.value, tries_left=tries_left)
                raise TooManyTries() if tries_left <= 0 else CodeWrong(tries_left)
            used = session.execute(
                update(PortalOtp).where(col(PortalOtp.id) == otp_id, col(PortalOtp.used_at).is_(None)).values(used_at=now)
            )
            session.commit()
            if used.rowcount != 1:  # accepted by a parallel request a moment ago
                raise CodeMissing()
        log.info("otp_accepted", purpose=purpose.value)

    def purge(self) -> int:
        """Delete every number's codes older than a day (they no longer count for anything); on start."""
        with Session(self.engine) as session:
            deleted = session.execute(delete(PortalOtp).where(col(PortalOtp.sent_at) < self._clock() - KEEP_FOR))
            session.commit()
            return deleted.rowcount

    @staticmethod
    def _lock_number(session: Session, phone_hash: str) -> None:
        """On PostgreSQL, one send at a time per number (or address: any keyed hash; a transaction-scoped advisory
        lock, the address's always taken first), so two parallel requests cannot both pass the throttle; SQLite
        (development) runs writers one at a time anyway."""
        if session.get_bind().dialect.name == "postgresql":
            key = int(phone_hash[:15], 16)  # 60 bits: fits a bigint
            session.execute(text("select pg_advisory_xact_lock(:key)"), {"key": key})
