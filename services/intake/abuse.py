"""Abuse limits on filing: per phone (every channel, in `filing.file_ticket`) and per client IP (HTTP channels that
face the public: a FastAPI dependency). Over the limit: 429 with `Retry-After` and 「提交过于频繁，请稍后再试」.

Configured from the environment (pydantic-settings), as COUNT/SECONDS or `off`:
  INTAKE_RATE_PER_PHONE    default 10/3600   (new tickets per reporter phone, keyed by its HMAC, never the number)
  INTAKE_RATE_PER_IP       default 30/60     (filing requests per client IP)
  INTAKE_TRUSTED_PROXIES   default 127.0.0.1,::1 (their X-Forwarded-For names the client: the portal forwards it)
Windows are sliding and counted in intake's database (table intake_rate_hit, libs/ratelimit.py): every intake
replica sees the same counts, so N replicas still allow COUNT per window, not N x COUNT, and a restart forgets
nothing. The per-phone hit is written in the filing's own transaction (a refused or failed filing counts nothing);
the per-address hit in a transaction of its own, before the filing runs."""
from __future__ import annotations

import math
from functools import lru_cache

from fastapi import Request
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.ratelimit import Db, Limit, RateHitBase, SlidingWindow
from libs.statemachine import DomainError

__all__ = ["Limit", "SlidingWindow", "IntakeRateHit", "AbuseSettings", "RateLimited", "Limiter", "TOO_FREQUENT",
           "get_limiter", "limit_filing_ip"]

TOO_FREQUENT = "提交过于频繁，请稍后再试"


class IntakeRateHit(RateHitBase, table=True):
    """One counted hit of an intake rate limit (filings per phone or address, wrong follow-up tries)."""

    __tablename__ = "intake_rate_hit"


class AbuseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    rate_per_phone: str = "10/3600"
    rate_per_ip: str = "30/60"
    trusted_proxies: str = "127.0.0.1,::1"


class RateLimited(DomainError):
    """Too many filings from one phone or address (HTTP 429, Retry-After in seconds)."""

    status_code = 429

    def __init__(self, what: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}
        super().__init__(f"{what}: {TOO_FREQUENT}（约 {self.retry_after} 秒后可再提交）")


class Limiter:
    """The two windows (their settings; the counts are in the database each check is given)."""

    def __init__(self, settings: AbuseSettings | None = None) -> None:
        self.configure(settings or AbuseSettings())

    def configure(self, settings: AbuseSettings) -> None:
        self.settings = settings
        self.per_phone = SlidingWindow(IntakeRateHit, Limit.parse(settings.rate_per_phone), scope="phone")
        self.per_ip = SlidingWindow(IntakeRateHit, Limit.parse(settings.rate_per_ip), scope="ip")
        self.trusted_proxies = {p.strip() for p in settings.trusted_proxies.split(",") if p.strip()}

    def check_phone(self, db: Db, phone_key: str) -> None:
        """One filing for the phone (its keyed hash); RateLimited when the window is full. `db`: the filing's
        Session, so the hit commits (or not) with the ticket."""
        wait = self.per_phone.hit(db, phone_key)
        if wait is not None:
            raise RateLimited("contact_phone", wait)

    def check_ip(self, db: Db, address: str) -> None:
        """One filing request from the address; RateLimited when the window is full."""
        wait = self.per_ip.hit(db, address)
        if wait is not None:
            raise RateLimited("client", wait)

    def client_address(self, request: Request) -> str:
        """The caller's IP; behind a trusted proxy (the portal), the last address its X-Forwarded-For appended."""
        peer = request.client.host if request.client else "unknown"
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded and peer in self.trusted_proxies:
            return forwarded.split(",")[-1].strip() or peer
        return peer


@lru_cache
def get_limiter() -> Limiter:
    return Limiter()


def limit_filing_ip(request: Request) -> None:
    """FastAPI dependency for a public filing route: one hit per request from the client's address."""
    limiter = get_limiter()
    limiter.check_ip(request.app.state.runtime.engine, limiter.client_address(request))
