"""The portal's accounts: password hashes, the demo users file, and seeding."""
from __future__ import annotations

from pathlib import Path

from libs.db import make_engine
from libs.directory import get_directory
from services.portal.users import UserStore, hash_password, load_demo_users, verify_password


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
        "resident", "grid_worker", "community_staff", "department_staff", "supervisor", "leader", "admin",
    }
    assert {u.community_id for u in users if u.role == "community_staff"} == {c.id for c in directory.communities}
    assert {u.department_id for u in users if u.role == "department_staff"} == {d.id for d in directory.departments}
    assert all(u.password == "whistle123" for u in users)
    assert len({u.username for u in users}) == len(users)


def test_seeding_adds_missing_users_once_and_keeps_existing_passwords(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    store = UserStore(make_engine(f"sqlite:///{tmp_path / 'portal.db'}"))
    store.create_table()
    users = load_demo_users()
    assert store.seed(users) == len(users)
    changed = [u.model_copy(update={"password": "changed"}) for u in users]
    assert store.seed(changed) == 0
    user = store.authenticate("xinran_staff", "whistle123")
    assert user is not None and user.principal().community_id == "xinran"
    assert store.authenticate("xinran_staff", "wrong") is None
