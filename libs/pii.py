"""Personal data at rest: the reporter's name and phone encrypted with Fernet (AES-128-CBC + HMAC-SHA256), keys that
rotate (MultiFernet: the first key encrypts, every listed key decrypts), and a keyed hash (HMAC-SHA256) of the
normalized phone so a number can be looked up without decrypting anything.

Keys come from the environment (pydantic-settings):
  PII_KEYS      comma-separated Fernet keys, newest first (`python -m libs.pii new-key` prints one)
  PII_HASH_KEY  the secret of the phone hash (any long random string)
The development defaults below are refused when WHISTLE_ENV=production. Rotation: put a new key first in PII_KEYS,
keep the old ones after it, restart, run the service's re-encrypt command (intake: `python -m services.intake.privacy
reencrypt`), then drop the old key. Nothing here logs a plaintext."""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import sys
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development only (never in production: PiiSettings refuses them there).
DEV_PII_KEY = "ZGV2LW9ubHktd2hpc3RsZS1waWkta2V5LWNoYW5nZSE="
DEV_PII_HASH_KEY = "whistle-dev-phone-hash-key-change-me-in-production"

__all__ = ["InvalidToken", "PiiSettings", "Vault", "get_vault", "mask_phone", "normalize_phone"]


class PiiSettings(BaseSettings):
    """PII_KEYS (newest first) and PII_HASH_KEY; WHISTLE_ENV=production refuses the development defaults."""

    model_config = SettingsConfigDict(env_prefix="PII_", extra="ignore")

    keys: str = DEV_PII_KEY
    hash_key: str = DEV_PII_HASH_KEY
    env: str = Field(default_factory=lambda: os.environ.get("WHISTLE_ENV", "development"))

    @field_validator("keys")
    @classmethod
    def _valid_fernet_keys(cls, value: str) -> str:
        keys = [k.strip() for k in value.split(",") if k.strip()]
        if not keys:
            raise ValueError("PII_KEYS: at least one Fernet key is needed")
        for index, key in enumerate(keys, 1):
            try:
                Fernet(key)
            except ValueError as exc:
                raise ValueError(f"PII_KEYS: key {index} is not a Fernet key (32 url-safe base64-encoded bytes)") from exc
        return ",".join(keys)

    @model_validator(mode="after")
    def _refuse_defaults_in_production(self) -> "PiiSettings":
        if self.env == "production":
            if DEV_PII_KEY in self.key_list:
                raise ValueError("PII_KEYS must not contain the development key when WHISTLE_ENV=production")
            if self.hash_key == DEV_PII_HASH_KEY or len(self.hash_key) < 32:
                raise ValueError("PII_HASH_KEY must be set to a secret of at least 32 characters when WHISTLE_ENV=production")
        return self

    @property
    def key_list(self) -> list[str]:
        return self.keys.split(",")


def normalize_phone(phone: str) -> str:
    """Digits only, without China's +86 / 0086 prefix: '+86 138-0013-8000' and '13800138000' are one number."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11 and digits[len(prefix)] == "1":
            return digits[len(prefix):]
    return digits


def mask_phone(phone: str | None) -> str | None:
    """138****5678: staff see enough to recognise a caller, never the number in clear."""
    if not phone:
        return None
    digits = normalize_phone(phone)
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"


# A mobile number (with or without spaces or dashes, +86) or a landline with its area code, inside free text.
PHONE_IN_TEXT = re.compile(r"(?<![0-9])(?:(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]){8}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")


def mask_phones_in_text(text: str | None) -> str | None:
    """Every phone number a person typed into a title or description, masked like mask_phone (138****5678): free text
    goes on Kafka, to staff and into logs, and a number in it would bypass the recorded reveal of the contact."""
    return PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)) or "****", text) if text else text


class Vault:
    """Encrypts, decrypts and re-encrypts short personal strings; hashes phones for lookups."""

    def __init__(self, keys: list[str], hash_key: str) -> None:
        if not keys:
            raise ValueError("a Vault needs at least one key")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._primary = Fernet(keys[0])
        self._hash_key = hash_key.encode()

    @classmethod
    def from_settings(cls, settings: PiiSettings | None = None) -> "Vault":
        settings = settings or PiiSettings()
        return cls(settings.key_list, settings.hash_key)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext; InvalidToken when no configured key opens it (or it was tampered with)."""
        return self._fernet.decrypt(token.encode("ascii")).decode()

    def is_current(self, token: str) -> bool:
        """Whether `token` is already under the newest key (re-encryption can skip it)."""
        try:
            self._primary.decrypt(token.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same plaintext under the newest key (MultiFernet.rotate)."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def phone_hash(self, phone: str) -> str:
        """HMAC-SHA256 of the normalized number, hex: equal numbers hash equal, the hash reveals nothing without the key."""
        return hmac.new(self._hash_key, normalize_phone(phone).encode(), hashlib.sha256).hexdigest()

    def resident_id(self, phone: str) -> str:
        """The resident account a mobile number owns: `m-` + 24 hex of its hash, the same from every channel (hotline,
        SMS, a guest filing, self-registration), so a caller who later signs up with that number finds their tickets."""
        return RESIDENT_ID_PREFIX + self.phone_hash(phone)[:24]


RESIDENT_ID_PREFIX = "m-"


@lru_cache
def get_vault() -> Vault:
    """The process's vault from PII_KEYS / PII_HASH_KEY (refuses the development keys in production)."""
    return Vault.from_settings()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["new-key"]:
        print(Fernet.generate_key().decode())
        return 0
    print("usage: python -m libs.pii new-key   # prints a fresh Fernet key for PII_KEYS", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
