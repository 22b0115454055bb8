"""Login rate limits and lockout (登录限制): failed password logins are counted per username and per client address
over a sliding window; past the limit, that username (or address) is locked out for a while — even the right password
is refused with 429, `Retry-After` and a Chinese message — and a success clears the username's count.

Counted in the portal's database (tables portal_rate_hit and portal_rate_lock, libs/ratelimit.py), so every portal
replica sees the same failures and lockouts (N replicas do not give an attacker N times the tries) and a restart keeps
a lockout in force.

PORTAL_LOGIN_MAX_FAILURES (5 per username), PORTAL_LOGIN_MAX_FAILURES_PER_ADDRESS (20), PORTAL_LOGIN_WINDOW_SECONDS
(900) and PORTAL_LOGIN_LOCK_SECONDS (900) override the defaults."""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine

from libs.ratelimit import Limit, Lockout, RateHitBase, RateLockBase, stored_key


class PortalRateHit(RateHitBase, table=True):
    """One failed login counted against a username or an address."""

    __tablename__ = "portal_rate_hit"


class PortalRateLock(RateLockBase, table=True):
    """A username or address locked out of logging in until `until`."""

    __tablename__ = "portal_rate_lock"


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


class LoginLimiter:
    """The login limits on one portal database (`engine`); `clock` (epoch seconds) is injectable for tests."""

    def __init__(self, engine: Engine, *, per_user: int | None = None, per_address: int | None = None,
                 window: float | None = None, lock: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.per_user = per_user or _env_int("PORTAL_LOGIN_MAX_FAILURES", 5)
        self.per_address = per_address or _env_int("PORTAL_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
        self.window = window or _env_int("PORTAL_LOGIN_WINDOW_SECONDS", 900)
        self.lock = lock or _env_int("PORTAL_LOGIN_LOCK_SECONDS", 900)
        self.clock = clock
        self.lockout = Lockout(PortalRateHit, PortalRateLock, clock=clock)

    @staticmethod
    def _user_key(username: str) -> str:
        return stored_key("login-user", username.strip().lower())

    def _limits(self, username: str, address: str | None) -> dict[str, Limit]:
        limits = {self._user_key(username): Limit(self.per_user, self.window)}
        if address:
            limits[stored_key("login-addr", address)] = Limit(self.per_address, self.window)
        return limits

    def retry_after(self, username: str, address: str | None) -> int | None:
        """Seconds until this username and address may try again, or None when neither is locked out."""
        return self.lockout.retry_after(self.engine, self._limits(username, address))

    def failed(self, username: str, address: str | None) -> bool:
        """One wrong password for the username from the address: counted for both, locking out what reached its
        limit; True when this failure locked the username or the address out."""
        return bool(self.lockout.fail(self.engine, self._limits(username, address), self.lock))

    def succeeded(self, username: str) -> None:
        """The right password: the username's failures are forgotten."""
        self.lockout.forget(self.engine, self._user_key(username))


def wait_in_words(seconds: int) -> str:
    return f"{math.ceil(seconds / 60)} 分钟" if seconds >= 60 else f"{seconds} 秒"
