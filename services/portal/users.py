"""The portal's own accounts (登录): users, password hashes, demo seeding, the session cookie's principal, and the
resident account a mobile number owns (username = libs/pii `resident_id(phone)`, the reporter_id every channel files
that number's tickets under)."""
from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import yaml
from pydantic import BaseModel
from sqlalchemy import DateTime, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import JSON, Field, Session, SQLModel, select

from libs.auth import ROLES, Principal
from libs.db import migrate
from libs.directory import get_directory
from libs.observability import get_logger
from libs.pii import get_vault, mask_phone, normalize_phone
from services.portal.passwords import hash_password, needs_rehash, verify_password

__all__ = ["hash_password", "verify_password"]  # re-exported: signup, user admin and the tests hash here
# None: every hash is argon2id (passwords.py). Unit tests that seed many users set a small pbkdf2 iteration count here
# to stay fast; the hashes they make are then the policy, and a login does not upgrade them.
HASH_ITERATIONS: int | None = None

log = get_logger(__name__)

DEMO_USERS_FILE = Path(__file__).resolve().parents[2] / "config" / "demo_users.yaml"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The stored hash of an account nobody set a password for (a hotline caller's): verify_password never accepts it.
NO_PASSWORD = "!"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class PortalUser(SQLModel, table=True):
    """A person who logs in to the portal; role and scope go into their token."""

    __tablename__ = "portal_user"

    username: str = Field(primary_key=True, max_length=60)
    display_name: str = Field(max_length=80)
    role: str = Field(max_length=30)
    community_id: str | None = Field(default=None, max_length=40)
    department_id: str | None = Field(default=None, max_length=40)
    street_id: str | None = Field(default=None, max_length=40)
    password_hash: str = Field(max_length=200)
    active: bool = True
    # A resident's mobile number: its keyed hash (libs/pii phone_hash, unique) and 138****5678; never in clear.
    phone_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    phone_masked: str | None = Field(default=None, max_length=20)
    # False for an account made for a caller (hotline, SMS) until the number's owner proves it with an SMS code.
    verified: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    # 网格员: the grids they patrol (ids of their community's grids); None: the whole community.
    grid_ids: list[str] | None = Field(default=None, sa_type=JSON)

    def principal(self) -> Principal:
        return Principal(
            sub=self.username,
            role=self.role,  # type: ignore[arg-type]
            name=self.display_name,
            community_id=self.community_id,
            department_id=self.department_id,
            street_id=self.street_id,
            grid_ids=self.grid_ids or None,
        )


class DemoUser(BaseModel):
    """One line of config/demo_users.yaml."""

    username: str
    name: str
    role: str
    community_id: str | None = None
    department_id: str | None = None
    street_id: str | None = None
    grid_ids: list[str] | None = None
    password: str | None = None


# Checked against when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


def load_demo_users(path: Path = DEMO_USERS_FILE) -> list[DemoUser]:
    """Demo users with their passwords filled in; refuses roles and scopes the district does not have."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    default_password = data.get("default_password")
    directory = get_directory()
    users = []
    for raw in data.get("users", []):
        user = DemoUser.model_validate(raw)
        if user.role not in ROLES:
            raise ValueError(f"{path}: user {user.username!r} has unknown role {user.role!r}")
        if user.community_id and directory.community(user.community_id) is None:
            raise ValueError(f"{path}: user {user.username!r} has unknown community {user.community_id!r}")
        if user.department_id and directory.department(user.department_id) is None:
            raise ValueError(f"{path}: user {user.username!r} has unknown department {user.department_id!r}")
        community = directory.community(user.community_id) if user.community_id else None
        for grid_id in user.grid_ids or []:
            if community is None or grid_id not in community.grids:
                raise ValueError(f"{path}: user {user.username!r} has grid {grid_id!r} outside their community")
        user.password = user.password or default_password
        if not user.password:
            raise ValueError(f"{path}: user {user.username!r} has no password and there is no default_password")
        users.append(user)
    return users


class UserStore:
    """The portal_user table behind one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def migrate(self) -> None:
        """Bring the portal's tables to the newest migration (services/portal/migrations)."""
        migrate(self.engine.url.render_as_string(hide_password=False), MIGRATIONS_DIR)

    def seed(self, demo_users: list[DemoUser]) -> int:
        """Add demo users that are missing; never overwrite an existing account (its password may have changed)."""
        added = 0
        with Session(self.engine) as session:
            existing = set(session.exec(select(PortalUser.username)))
            missing = [u for u in demo_users if u.username not in existing]
            with ThreadPoolExecutor(max_workers=4) as pool:  # argon2 releases the GIL: the cores share the work
                hashes = list(pool.map(lambda u: hash_password(u.password or "", iterations=HASH_ITERATIONS), missing))
            for user, password_hash in zip(missing, hashes, strict=True):
                session.add(
                    PortalUser(
                        username=user.username,
                        display_name=user.name,
                        role=user.role,
                        community_id=user.community_id,
                        department_id=user.department_id,
                        street_id=user.street_id,
                        grid_ids=user.grid_ids,
                        password_hash=password_hash,
                    )
                )
                added += 1
            session.commit()
        return added

    def authenticate(self, username: str, password: str) -> PortalUser | None:
        """By username, else by mobile number (a resident types their phone number as the username)."""
        with Session(self.engine) as session:
            user = session.get(PortalUser, username.strip())
        if user is None and is_mobile(username):
            user = self.by_phone(username)
        if user is None or not user.active:
            verify_password(password, _DUMMY_HASH)
            return None
        if not verify_password(password, user.password_hash):
            return None
        if HASH_ITERATIONS is None and needs_rehash(user.password_hash):  # a pbkdf2 hash of before: stored again as argon2id, now it is known
            with Session(self.engine, expire_on_commit=False) as session:
                stored = session.get(PortalUser, user.username)
                if stored is not None:
                    stored.password_hash = user.password_hash = hash_password(password)
                    session.add(stored)
                    session.commit()
            log.info("password_rehashed", username=user.username)
        return user

    def get(self, username: str) -> PortalUser | None:
        with Session(self.engine) as session:
            return session.get(PortalUser, username)

    def by_phone(self, phone: str) -> PortalUser | None:
        """The account the number owns (looked up by its keyed hash), or None."""
        with Session(self.engine) as session:
            return session.exec(select(PortalUser).where(PortalUser.phone_hash == get_vault().phone_hash(phone))).first()

    def ensure_resident(self, phone: str, display_name: str | None = None, community_id: str | None = None) -> PortalUser:
        """The account a mobile number owns; when it has none, a new unverified resident account without a usable
        password (username = resident_id(phone)), which its owner later claims by registering with an SMS code.
        Safe to call concurrently for one number. ValueError when `phone` is not a mainland mobile number."""
        if not is_mobile(phone):
            raise ValueError("not a mainland mobile number")
        found = self.by_phone(phone)
        if found is not None:
            return found
        vault = get_vault()
        user = PortalUser(
            username=vault.resident_id(phone),
            display_name=(display_name or "").strip()[:80] or f"尾号{normalize_phone(phone)[-4:]}的居民",
            role="resident",
            community_id=community_id,
            password_hash=NO_PASSWORD,
            phone_hash=vault.phone_hash(phone),
            phone_masked=mask_phone(phone),
            verified=False,
        )
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                session.add(user)
                session.commit()
        except IntegrityError:  # created meanwhile by another request for the same number
            found = self.by_phone(phone) or self.get(vault.resident_id(phone))
            if found is None:
                raise
            return found
        log.info("resident_account_created", username=user.username, verified=False)
        return user

    def check(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("select 1"))


def is_mobile(phone: str) -> bool:
    """A mainland China mobile number (11 digits from 13x to 19x), with or without +86, spaces or dashes."""
    return bool(PHONE_TYPED.fullmatch(phone.strip())) and bool(MOBILE.fullmatch(normalize_phone(phone)))


PHONE_TYPED = re.compile(r"\+?[0-9][0-9 -]{9,18}")
MOBILE = re.compile(r"1[3-9][0-9]{9}")
