"""One-time SMS codes (短信验证码) for signing up and signing in with a mobile number.

A code is 6 random digits, kept only as a keyed hash (HMAC-SHA256 with the portal's secret, bound to the number and the
purpose), valid for 5 minutes and for at most 5 tries; a newer code for the same number and purpose replaces the older
one. Sending is throttled per number: 60 seconds between two codes and at most 5 codes an hour. The number is stored
only as its libs/pii keyed hash; neither the number nor the code ever reaches a log line. The clock is injectable so
the rules are tested without sleeping."""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from sqlalchemy import DateTime, delete, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

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


class OtpPurpose(StrEnum):
    register = "register"
    login = "login"


PURPOSE_TEXT = {OtpPurpose.register: "注册", OtpPurpose.login: "登录"}


class PortalOtp(SQLModel, table=True):
    """One code sent to one number for one purpose."""

    __tablename__ = "portal_otp"

    id: int | None = Field(default=None, primary_key=True)
    phone_hash: str = Field(max_length=64, index=True)
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
    ) -> None:
        self.engine = engine
        self._secret = secret.encode()
        self._gateway = gateway
        self._clock = clock

    def _code_hash(self, phone_hash: str, purpose: OtpPurpose, code: str) -> str:
        message = f"{purpose.value}:{phone_hash}:{code}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def send(self, phone: str, purpose: OtpPurpose) -> datetime:
        """Text a fresh code to `phone` (replacing any earlier one for `purpose`); returns when it expires.
        Throttled when the number had a code less than a minute ago or 5 in the last hour; SendFailed when the
        gateway refuses (then nothing is recorded, so the person may try again at once)."""
        phone_hash = get_vault().phone_hash(phone)
        now = self._clock()
        with Session(self.engine) as session:
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
                phone_hash=phone_hash, purpose=purpose.value, code_hash=self._code_hash(phone_hash, purpose, code),
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
        """On PostgreSQL, one send at a time per number (a transaction-scoped advisory lock), so two parallel requests
        cannot both pass the throttle; SQLite (development) runs writers one at a time anyway."""
        if session.get_bind().dialect.name == "postgresql":
            key = int(phone_hash[:15], 16)  # 60 bits: fits a bigint
            session.execute(text("select pg_advisory_xact_lock(:key)"), {"key": key})
