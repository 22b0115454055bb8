"""What every channel a provider pushes to (SMS, WeChat) reads from its environment: the secret shared with the
provider, which production must not leave at its development default, and how far a push's timestamp may stray
(`check_fresh`)."""
from __future__ import annotations

import time
from typing import ClassVar

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.settings import get_settings
from libs.statemachine import Forbidden


class SignedChannelSettings(BaseSettings):
    """A subclass sets its `env_prefix`, declares its secret field and names it in `SHARED_SECRET`: (field, its
    development default, the error WHISTLE_ENV=production gives while the secret is that default)."""

    model_config = SettingsConfigDict(extra="ignore")
    SHARED_SECRET: ClassVar[tuple[str, str, str]]

    max_clock_skew_seconds: int = 300  # older (or newer) timestamps are refused as replays

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> SignedChannelSettings:
        field, development_default, error = self.SHARED_SECRET
        if get_settings().env == "production" and getattr(self, field) == development_default:
            raise ValueError(error)
        return self

    def check_fresh(self, timestamp: str, *, header: str, what: str) -> None:
        """Forbidden unless `timestamp` (Unix seconds, from `header`) is within the allowed skew of now: a stale or
        future `what` (push, request) is refused as a replay."""
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError:
            raise Forbidden(f"{header}: not a Unix time") from None
        if skew > self.max_clock_skew_seconds:
            raise Forbidden(f"{header}: stale or from the future; the {what} is refused as a replay")
