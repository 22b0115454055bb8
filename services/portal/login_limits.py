"""Login rate limits and lockout (登录限制): failed password logins are counted per username and per client address
over a sliding window; past the limit, that username (or address) is locked out for a while — even the right password
is refused with 429, `Retry-After` and a Chinese message — and a success clears the username's count. Counted in the
portal process (run one portal, or give each replica its own share of the limit).

PORTAL_LOGIN_MAX_FAILURES (5 per username), PORTAL_LOGIN_MAX_FAILURES_PER_ADDRESS (20), PORTAL_LOGIN_WINDOW_SECONDS
(900) and PORTAL_LOGIN_LOCK_SECONDS (900) override the defaults."""
from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


class LoginLimiter:
    def __init__(self, *, per_user: int | None = None, per_address: int | None = None, window: float | None = None,
                 lock: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_user = per_user or _env_int("PORTAL_LOGIN_MAX_FAILURES", 5)
        self.per_address = per_address or _env_int("PORTAL_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
        self.window = window or _env_int("PORTAL_LOGIN_WINDOW_SECONDS", 900)
        self.lock = lock or _env_int("PORTAL_LOGIN_LOCK_SECONDS", 900)
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._mutex = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str | None) -> list[str]:
        keys = [f"user:{username.strip().lower()}"]
        return keys + [f"addr:{address}"] if address else keys

    def retry_after(self, username: str, address: str | None) -> int | None:
        """Seconds until this username and address may try again, or None when neither is locked out."""
        now = self.clock()
        with self._mutex:
            waits = [until - now for key in self._keys(username, address) if (until := self._locked_until.get(key, 0)) > now]
        return math.ceil(max(waits)) if waits else None

    def failed(self, username: str, address: str | None) -> None:
        now = self.clock()
        with self._mutex:
            for key in self._keys(username, address):
                limit = self.per_user if key.startswith("user:") else self.per_address
                seen = self._failures.setdefault(key, deque())
                seen.append(now)
                while seen and seen[0] <= now - self.window:
                    seen.popleft()
                if len(seen) >= limit:
                    self._locked_until[key] = now + self.lock
                    seen.clear()
            if len(self._failures) > 100_000:  # keep memory bounded under a spray of made-up usernames
                self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > now - self.window}

    def succeeded(self, username: str) -> None:
        with self._mutex:
            self._failures.pop(f"user:{username.strip().lower()}", None)


def wait_in_words(seconds: int) -> str:
    return f"{math.ceil(seconds / 60)} 分钟" if seconds >= 60 else f"{seconds} 秒"
