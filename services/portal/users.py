"""The portal's own accounts (登录): users, password hashes, demo seeding, and the session cookie's principal."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

import yaml
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from libs.auth import ROLES, Principal
from libs.directory import get_directory
from libs.observability import get_logger

log = get_logger(__name__)

DEMO_USERS_FILE = Path(__file__).resolve().parents[2] / "config" / "demo_users.yaml"
HASH_ALGORITHM = "pbkdf2_sha256"
HASH_ITERATIONS = 120_000


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

    def principal(self) -> Principal:
        return Principal(
            sub=self.username,
            role=self.role,  # type: ignore[arg-type]
            name=self.display_name,
            community_id=self.community_id,
            department_id=self.department_id,
            street_id=self.street_id,
        )


class DemoUser(BaseModel):
    """One line of config/demo_users.yaml."""

    username: str
    name: str
    role: str
    community_id: str | None = None
    department_id: str | None = None
    street_id: str | None = None
    password: str | None = None


def hash_password(password: str, *, iterations: int | None = None) -> str:
    """pbkdf2_sha256$iterations$salt$hash — the iteration count travels with the hash so it can be raised later."""
    iterations = iterations or HASH_ITERATIONS
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{HASH_ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt, expected = stored.split("$")
        if algorithm != HASH_ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


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
        user.password = user.password or default_password
        if not user.password:
            raise ValueError(f"{path}: user {user.username!r} has no password and there is no default_password")
        users.append(user)
    return users


class UserStore:
    """The portal_user table behind one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_table(self) -> None:
        # Only our table: other services' models may share SQLModel.metadata in the same process (tests).
        SQLModel.metadata.create_all(self.engine, tables=[PortalUser.__table__])

    def seed(self, demo_users: list[DemoUser]) -> int:
        """Add demo users that are missing; never overwrite an existing account (its password may have changed)."""
        added = 0
        with Session(self.engine) as session:
            existing = set(session.exec(select(PortalUser.username)))
            for user in demo_users:
                if user.username in existing:
                    continue
                session.add(
                    PortalUser(
                        username=user.username,
                        display_name=user.name,
                        role=user.role,
                        community_id=user.community_id,
                        department_id=user.department_id,
                        street_id=user.street_id,
                        password_hash=hash_password(user.password or ""),
                    )
                )
                added += 1
            session.commit()
        return added

    def authenticate(self, username: str, password: str) -> PortalUser | None:
        with Session(self.engine) as session:
            user = session.get(PortalUser, username.strip())
        if user is None or not user.active:
            verify_password(password, _DUMMY_HASH)
            return None
        return user if verify_password(password, user.password_hash) else None

    def check(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("select 1"))
