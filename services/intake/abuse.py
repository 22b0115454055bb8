"""Abuse limits on filing: per phone (every channel, in `filing.file_ticket`) and per client IP (HTTP channels that
face the public: a FastAPI dependency). Over the limit: 429 with `Retry-After` and 「提交过于频繁，请稍后再试」.

Configured from the environment (pydantic-settings), as COUNT/SECONDS or `off`:
  INTAKE_RATE_PER_PHONE    default 10/3600   (new tickets per reporter phone, keyed by its HMAC, never the number)
  INTAKE_RATE_PER_IP       default 30/60     (filing requests per client IP)
  INTAKE_TRUSTED_PROXIES   default 127.0.0.1,::1 (their X-Forwarded-For names the client: the portal forwards it)
Windows are sliding and kept in this process's memory: with several intake replicas each keeps its own count (the
limit per replica), which is enough to stop a flood without a shared store."""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from fastapi import Request
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.statemachine import DomainError

TOO_FREQUENT = "提交过于频繁，请稍后再试"


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: float

    @classmethod
    def parse(cls, spec: str) -> "Limit | None":
        """'10/3600' -> Limit(10, 3600); 'off' (or empty) -> None."""
        spec = spec.strip().lower()
        if spec in ("", "off", "none"):
            return None
        count, _, seconds = spec.partition("/")
        limit = cls(int(count), float(seconds or 60))
        if limit.count < 1 or limit.seconds <= 0:
            raise ValueError(f"rate limit {spec!r}: COUNT/SECONDS with both above zero, or 'off'")
        return limit


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


@dataclass
class SlidingWindow:
    """At most `limit.count` hits per key within any `limit.seconds`; `clock` is injectable for tests."""

    limit: Limit | None
    clock: Callable[[], float] = time.monotonic
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str) -> float | None:
        """Count one hit; None when allowed, else the seconds until the oldest hit leaves the window (nothing counted)."""
        if self.limit is None:
            return None
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.limit.seconds:
                hits.popleft()
            if len(hits) >= self.limit.count:
                return hits[0] + self.limit.seconds - now
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle keys so a scan of many addresses cannot grow memory forever
                for stale in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.limit.seconds]:
                    del self._hits[stale]
            return None

    def refund(self, key: str) -> None:
        """Take back the newest hit of `key` (an attempt that turned out not to count, e.g. a right answer)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.pop()


class Limiter:
    """The two windows of this process."""

    def __init__(self, settings: AbuseSettings | None = None) -> None:
        self.configure(settings or AbuseSettings())

    def configure(self, settings: AbuseSettings) -> None:
        self.settings = settings
        self.per_phone = SlidingWindow(Limit.parse(settings.rate_per_phone))
        self.per_ip = SlidingWindow(Limit.parse(settings.rate_per_ip))
        self.trusted_proxies = {p.strip() for p in settings.trusted_proxies.split(",") if p.strip()}

    def check_phone(self, phone_key: str) -> None:
        wait = self.per_phone.hit(phone_key)
        if wait is not None:
            raise RateLimited("contact_phone", wait)

    def check_ip(self, address: str) -> None:
        wait = self.per_ip.hit(address)
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
    limiter.check_ip(limiter.client_address(request))
