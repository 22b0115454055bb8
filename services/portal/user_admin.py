"""系统设置 · 用户与权限 (admins): create accounts, change a person's name, role and scope, deactivate and reactivate
them. Each change and the audit line saying who did it, when, and what the account was before and after are written
in one transaction (portal_user_audit, append-only: nothing here updates or deletes a line). The scope a role needs
is checked against the directory in force: a community for residents, grid workers, volunteers and community staff
(grids of that community for grid workers), a department for department staff, a street for supervisors."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, or_
from sqlalchemy.engine import Engine
from sqlmodel import JSON, Field, Session, SQLModel, col, select

from libs.auth import ROLES
from libs.directory import get_directory
from services.portal.users import PortalUser, hash_password, utcnow

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,60}$")
SHOWN = ("username", "display_name", "role", "community_id", "department_id", "street_id", "grid_ids", "active")


class PortalUserAudit(SQLModel, table=True):
    """One change to an account: who (admin), when, which account, what (created, updated, deactivated, activated,
    password_reset) and the account before and after (never a password or its hash)."""

    __tablename__ = "portal_user_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=60)
    username: str = Field(max_length=60, index=True)
    action: str = Field(max_length=20)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class UserInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


def shown(user: PortalUser) -> dict[str, Any]:
    return {k: getattr(user, k) for k in SHOWN}


def scope_of(fields: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The scope columns the role needs (the others cleared), each checked against the directory."""
    directory, role = get_directory(), fields.get("role", "")
    scope: dict[str, Any] = {"community_id": None, "department_id": None, "street_id": None, "grid_ids": None}
    if role not in ROLES:
        errors["role"] = "角色：请选择角色"
        return scope
    if role in ("resident", "grid_worker", "volunteer", "community_staff"):
        community = directory.community(fields.get("community_id") or None)
        if community is None:
            errors["community_id"] = "所属社区：请选择社区"
        else:
            scope["community_id"] = community.id
            grids = [g for g in re.split(r"[\s,，、]+", fields.get("grid_ids") or "") if g]
            if role == "grid_worker" and grids:
                wrong = [g for g in grids if g not in community.grids]
                if wrong:
                    errors["grid_ids"] = f"负责网格：{wrong[0]} 不是{community.name}的网格"
                scope["grid_ids"] = grids
    elif role == "department_staff":
        department = directory.department(fields.get("department_id") or None)
        if department is None:
            errors["department_id"] = "所属部门：请选择部门"
        else:
            scope["department_id"] = department.id
    elif role in ("supervisor", "leader"):
        street = directory.street(fields.get("street_id") or None)
        if street is None and role == "supervisor":
            errors["street_id"] = "所属街道：督办只管辖一个街道，请选择街道"
        scope["street_id"] = street.id if street else None
    return scope


def _audit(session: Session, actor: str, username: str, action: str, before: dict | None, after: dict | None) -> None:
    session.add(PortalUserAudit(actor=actor, username=username, action=action, before=before, after=after))


def list_users(engine: Engine, *, role: str | None = None, q: str | None = None, limit: int = 300) -> list[PortalUser]:
    """Staff and admins first (residents are many), by role and username; `q` matches username or name."""
    query = select(PortalUser)
    if role:
        query = query.where(PortalUser.role == role)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(col(PortalUser.username).like(like), col(PortalUser.display_name).like(like)))
    with Session(engine) as session:
        return list(session.exec(query.order_by(col(PortalUser.role) == "resident", col(PortalUser.role), col(PortalUser.username)).limit(limit)))


def save_user(engine: Engine, *, actor: str, fields: dict[str, str], create: bool) -> PortalUser:
    """Create an account (username, name, role, scope, initial password) or change one's name, role and scope."""
    errors: dict[str, str] = {}
    username = (fields.get("username") or "").strip()
    name = (fields.get("display_name") or "").strip()
    if not USERNAME.match(username):
        errors["username"] = "用户名：3–60 位字母、数字、点、下划线或连字符"
    if not name or len(name) > 80:
        errors["display_name"] = "姓名：请填写姓名（最多 80 字）"
    scope = scope_of(fields, errors)
    password = fields.get("password") or ""
    if create and len(password) < 8:
        errors["password"] = "初始密码：至少 8 位"
    if errors:
        raise UserInvalid(errors)
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(PortalUser, username, with_for_update=True)
        if create and user is not None:
            raise UserInvalid({"username": f"用户名：{username} 已存在"})
        if not create and user is None:
            raise UserInvalid({"username": f"用户名：没有 {username} 这个账号"})
        before = None if user is None else shown(user)
        if user is None:
            user = PortalUser(username=username, display_name=name, role=fields["role"], password_hash=hash_password(password), **scope)
        else:
            user.display_name, user.role = name, fields["role"]
            for key, value in scope.items():
                setattr(user, key, value)
            if password:
                user.password_hash = hash_password(password)
        session.add(user)
        _audit(session, actor, username, "created" if create else "updated", before, shown(user))
        if password and not create:
            _audit(session, actor, username, "password_reset", None, None)
        session.commit()
        return user


def set_active(engine: Engine, *, actor: str, username: str, active: bool) -> PortalUser:
    """停用 / 启用: a deactivated account cannot sign in; the account and its history stay."""
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(PortalUser, username, with_for_update=True)
        if user is None:
            raise UserInvalid({"username": f"用户名：没有 {username} 这个账号"})
        if user.username == actor and not active:
            raise UserInvalid({"username": "不能停用自己的账号"})
        before = shown(user)
        user.active = active
        session.add(user)
        _audit(session, actor, username, "activated" if active else "deactivated", before, shown(user))
        session.commit()
        return user


def audit_lines(engine: Engine, *, username: str | None = None, limit: int = 100) -> list[PortalUserAudit]:
    query = select(PortalUserAudit)
    if username:
        query = query.where(PortalUserAudit.username == username)
    with Session(engine) as session:
        return list(session.exec(query.order_by(col(PortalUserAudit.id).desc()).limit(limit)))
