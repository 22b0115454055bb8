"""The caller (role + scope), token minting and the scope check: plain Python that use cases may import."""
from __future__ import annotations

import time
from typing import Literal

import jwt
from pydantic import BaseModel

from libs.settings import get_settings
from libs.statemachine import Forbidden

Role = Literal[
    "resident", "grid_worker", "community_staff", "department_staff", "supervisor", "leader", "admin",
    "operator",  # 12345 hotline: files for callers district-wide and looks callers up; reads no lists, dispatches nothing
    "volunteer",  # 志愿者 / 在职党员: claims and fulfils micro-wishes in their home community (services/wishes)
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
ALGORITHM = "HS256"
# Street and district roles act across communities and departments.
WIDE_ROLES = frozenset({"supervisor", "leader", "admin"})


class Principal(BaseModel):
    """The caller: who (sub), what role, and the scope the role acts within."""

    sub: str
    role: Role
    name: str = ""
    community_id: str | None = None
    department_id: str | None = None
    street_id: str | None = None
    grid_ids: list[str] | None = None  # 网格员: the grids they patrol (None: their whole community)

    def actor(self) -> dict[str, str]:
        return {"role": self.role, "id": self.sub}


def mint_token(principal: Principal, ttl_seconds: int | None = None, secret: str | None = None) -> str:
    settings = get_settings()
    now = int(time.time())
    claims = {
        **principal.model_dump(exclude_none=True),
        "iat": now,
        "exp": now + (ttl_seconds or settings.jwt_ttl_seconds),
        "iss": "whistle",
    }
    return jwt.encode(claims, secret or settings.jwt_secret, algorithm=ALGORITHM)


def check_scope(principal: Principal, *, community_id: str | None = None, department_id: str | None = None) -> None:
    """Forbidden (403) unless the principal's scope covers the community/department; street and district roles see all."""
    if principal.role in WIDE_ROLES:
        return
    if community_id is not None and principal.community_id != community_id:
        raise Forbidden(f"community {community_id!r} is outside your scope")
    if department_id is not None and principal.department_id != department_id:
        raise Forbidden(f"department {department_id!r} is outside your scope")
