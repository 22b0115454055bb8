"""libs/pii: the reporter's name and phone encrypted under rotating keys, the phone's keyed hash, masking, and the
settings that refuse the development keys in production; intake's abuse windows."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from libs.pii import DEV_PII_HASH_KEY, DEV_PII_KEY, InvalidToken, PiiSettings, Vault, mask_phone, normalize_phone
from libs.db import make_engine
from services.intake.abuse import AbuseSettings, IntakeRateHit, Limit, Limiter, SlidingWindow

HASH_KEY = "a-hash-key-of-at-least-thirty-two-characters"


def test_a_name_and_a_phone_come_back_as_they_went_in_and_are_not_readable_in_between():
    vault = Vault([Fernet.generate_key().decode()], HASH_KEY)
    for secret in ("13812345678", "王秀兰", "Zhang Wei"):
        token = vault.encrypt(secret)
        assert secret not in token
        assert vault.decrypt(token) == secret
    assert vault.encrypt("王秀兰") != vault.encrypt("王秀兰")  # random IV: equal names do not look equal


def test_after_a_rotation_old_tokens_still_open_and_rotate_moves_them_to_the_new_key():
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = Vault([old_key], HASH_KEY).encrypt("13812345678")
    rotated = Vault([new_key, old_key], HASH_KEY)
    assert rotated.decrypt(before) == "13812345678"
    assert not rotated.is_current(before)
    after = rotated.rotate(before)
    assert rotated.is_current(after)
    assert Vault([new_key], HASH_KEY).decrypt(after) == "13812345678"  # the old key can now go
    with pytest.raises(InvalidToken):
        Vault([new_key], HASH_KEY).decrypt(before)


def test_the_phone_hash_is_the_same_for_every_spelling_and_depends_on_the_key():
    vault = Vault([DEV_PII_KEY], HASH_KEY)
    spellings = ("13812345678", "+86 138-1234-5678", "0086 138 1234 5678", "86 13812345678")
    assert len({vault.phone_hash(p) for p in spellings}) == 1
    assert vault.phone_hash("13812345678") != vault.phone_hash("13812345679")
    assert vault.phone_hash("13812345678") != Vault([DEV_PII_KEY], HASH_KEY + "x").phone_hash("13812345678")
    assert "13812345678" not in vault.phone_hash("13812345678")


@pytest.mark.parametrize(
    ("phone", "normal", "masked"),
    [
        ("13812345678", "13812345678", "138****5678"),
        ("+86 138-1234-5678", "13812345678", "138****5678"),
        ("010-6512 3456", "01065123456", "010****3456"),
        ("12345", "12345", "****"),
    ],
)
def test_phones_are_normalized_and_masked(phone, normal, masked):
    assert (normalize_phone(phone), mask_phone(phone)) == (normal, masked)


def test_production_refuses_the_development_keys(monkeypatch):
    monkeypatch.setenv("WHISTLE_ENV", "production")
    monkeypatch.delenv("PII_KEYS", raising=False)
    monkeypatch.delenv("PII_HASH_KEY", raising=False)
    with pytest.raises(ValidationError, match="PII_KEYS"):
        PiiSettings()
    monkeypatch.setenv("PII_KEYS", f"{Fernet.generate_key().decode()},{DEV_PII_KEY}")  # not even as an old key
    monkeypatch.setenv("PII_HASH_KEY", HASH_KEY)
    with pytest.raises(ValidationError, match="PII_KEYS"):
        PiiSettings()
    monkeypatch.setenv("PII_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("PII_HASH_KEY", DEV_PII_HASH_KEY)
    with pytest.raises(ValidationError, match="PII_HASH_KEY"):
        PiiSettings()
    monkeypatch.setenv("PII_HASH_KEY", HASH_KEY)
    assert len(PiiSettings().key_list) == 1


def test_the_intake_app_refuses_to_start_in_production_with_the_development_key(monkeypatch):
    from libs.pii import get_vault
    from services.intake.app import create_app

    monkeypatch.setenv("WHISTLE_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "a-real-secret")
    monkeypatch.delenv("PII_KEYS", raising=False)
    get_vault.cache_clear()
    try:
        with pytest.raises(ValidationError, match="PII_KEYS"):
            create_app()
    finally:
        get_vault.cache_clear()


def test_keys_that_are_not_fernet_keys_are_refused_naming_the_setting(monkeypatch):
    monkeypatch.setenv("PII_KEYS", "not-a-key")
    with pytest.raises(ValidationError, match="PII_KEYS: key 1"):
        PiiSettings()


def test_rate_limits_parse_from_count_and_seconds_or_off():
    assert Limit.parse("10/3600") == Limit(10, 3600)
    assert Limit.parse("off") is None and Limit.parse("") is None
    with pytest.raises(ValueError):
        Limit.parse("0/60")


def test_a_sliding_window_allows_count_hits_then_says_how_long_to_wait(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'hits.db'}")
    IntakeRateHit.__table__.create(engine)
    now = [1000.0]
    window = SlidingWindow(IntakeRateHit, Limit(2, 60), scope="t", clock=lambda: now[0])
    assert window.hit(engine, "a") is None
    now[0] += 10
    assert window.hit(engine, "a") is None
    assert window.hit(engine, "a") == pytest.approx(50)  # the first hit leaves the window 50 s from now
    assert window.hit(engine, "b") is None  # every key has its own window
    now[0] += 50
    assert window.hit(engine, "a") is None


def test_a_forwarded_address_counts_only_from_a_trusted_proxy():
    class Request:
        def __init__(self, peer: str, forwarded: str | None) -> None:
            self.client = type("Client", (), {"host": peer})()
            self.headers = {"x-forwarded-for": forwarded} if forwarded else {}

    limiter = Limiter(AbuseSettings(trusted_proxies="127.0.0.1"))
    assert limiter.client_address(Request("127.0.0.1", "1.2.3.4, 10.0.0.7")) == "10.0.0.7"
    assert limiter.client_address(Request("10.9.9.9", "1.2.3.4")) == "10.9.9.9"
    assert limiter.client_address(Request("127.0.0.1", None)) == "127.0.0.1"
