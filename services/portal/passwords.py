"""Password hashes of the portal's accounts: argon2id at the OWASP Password Storage Cheat Sheet's parameters (19 MiB of
memory, 2 passes, 1 lane), with argon2-cffi. Hashes made before (pbkdf2_sha256$iterations$salt$hash) still verify, and
`needs_rehash` says so: the login that proves the password stores it again as argon2id."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

LEGACY_ALGORITHM = "pbkdf2_sha256"
LEGACY_ITERATIONS = 120_000
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


def hash_password(password: str, *, iterations: int | None = None) -> str:
    """argon2id (`$argon2id$v=19$m=19456,t=2,p=1$...`); `iterations` makes a legacy pbkdf2 hash (tests of the upgrade)."""
    if iterations is not None:
        salt = secrets.token_bytes(16)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
        return f"{LEGACY_ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"
    return HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("$argon2"):
        try:
            return HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    try:
        algorithm, iterations, salt, expected = stored.split("$")
        if algorithm != LEGACY_ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def needs_rehash(stored: str) -> bool:
    """A hash made by an older scheme or at weaker parameters (a pbkdf2 hash, or argon2 below today's)."""
    if not stored.startswith("$argon2"):
        return stored.startswith(f"{LEGACY_ALGORITHM}$")
    try:
        return HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return False
