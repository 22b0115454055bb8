"""The portal's accounts: password hashes, the demo users file, and seeding."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from libs.db import make_engine
from libs.directory import get_directory
from libs.pii import get_vault
from services.portal.users import NO_PASSWORD, UserStore, hash_password, load_demo_users, verify_password


def test_a_password_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("whistle123", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$")
    assert verify_password("whistle123", stored)
    assert not verify_password("whistle124", stored)


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert hash_password("whistle123", iterations=1000) != hash_password("whistle123", iterations=1000)


def test_a_malformed_stored_hash_never_verifies() -> None:
    assert not verify_password("whistle123", "plain-text")
    assert not verify_password("whistle123", "md5$1$00$00")


def test_demo_users_cover_every_role_every_community_and_every_department() -> None:
    users = load_demo_users()
    directory = get_directory()
    assert {u.role for u in users} == {
        "resident", "grid_worker", "community_staff", "department_staff", "supervisor", "leader", "admin", "operator",
        "volunteer",
    }
    assert {u.community_id for u in users if u.role == "community_staff"} == {c.id for c in directory.communities}
    assert {u.department_id for u in users if u.role == "department_staff"} == {d.id for d in directory.departments}
    assert all(u.password == "whistle123" for u in users)
    assert len({u.username for u in users}) == len(users)


def test_seeding_adds_missing_users_once_and_keeps_existing_passwords(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    store = UserStore(make_engine(f"sqlite:///{tmp_path / 'portal.db'}"))
    store.migrate()
    users = load_demo_users()
    assert store.seed(users) == len(users)
    changed = [u.model_copy(update={"password": "changed"}) for u in users]
    assert store.seed(changed) == 0
    user = store.authenticate("xinran_staff", "whistle123")
    assert user is not None and user.principal().community_id == "xinran"
    assert store.authenticate("xinran_staff", "wrong") is None


def _store(tmp_path: Path) -> UserStore:
    store = UserStore(make_engine(f"sqlite:///{tmp_path / 'portal.db'}"))
    store.migrate()
    return store


def test_ensure_resident_makes_one_unverified_account_per_number_under_its_resident_id(tmp_path: Path) -> None:
    store = _store(tmp_path)
    caller = store.ensure_resident("138 0013 8000", display_name="王阿姨", community_id="xinran")
    assert caller.username == get_vault().resident_id("13800138000")
    assert (caller.role, caller.verified, caller.community_id, caller.display_name) == ("resident", False, "xinran", "王阿姨")
    assert (caller.phone_masked, caller.phone_hash) == ("138****8000", get_vault().phone_hash("13800138000"))
    # the same number again, written another way: the same account, nothing changed
    again = store.ensure_resident("+86 138-0013-8000", display_name="别人", community_id="shiliuqiao")
    assert (again.username, again.display_name, again.community_id) == (caller.username, "王阿姨", "xinran")
    nameless = store.ensure_resident("13900139000")
    assert nameless.display_name == "尾号9000的居民" and nameless.username != caller.username


def test_an_account_made_for_a_caller_has_no_password_anyone_can_log_in_with(tmp_path: Path) -> None:
    store = _store(tmp_path)
    caller = store.ensure_resident("13800138000")
    for guess in ("", "!", NO_PASSWORD, "whistle123"):
        assert store.authenticate(caller.username, guess) is None
        assert store.authenticate("13800138000", guess) is None


def test_ensure_resident_refuses_what_is_not_a_mobile_number(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for bad in ("", "12345", "010-12345678", "23800138000", "abc13800138000", "1380013800O"):
        with pytest.raises(ValueError):
            store.ensure_resident(bad)


def test_concurrent_ensure_resident_for_one_number_gives_one_account(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: store.ensure_resident("13700137000").username, range(8)))
    assert len(set(made)) == 1
