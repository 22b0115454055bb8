"""The caller (role + scope), token minting and the scope check: plain Python that use cases may import."""
from __future__ import annotations

import time
from typing import Literal

import jwt
from pydantic import BaseModel

from libs.directory import get_directory
from libs.settings import get_settings
from libs.statemachine import Forbidden

Role = Literal[
    "resident", "grid_worker", "community_staff", "department_staff", "supervisor", "leader", "admin",
    "operator",  # 12345 hotline: files for callers district-wide and looks callers up; reads no lists, dispatches nothing
    "volunteer",  # 志愿者 / 在职党员: claims and fulfils micro-wishes in their home community (services/wishes)
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
ALGORITHM = "HS256"
# Street and district roles act across communities and departments: a supervisor across the communities of their
# street (`street_id`), leaders and admins across the district. `street_scope` says which communities that is.
WIDE_ROLES = frozenset({"supervisor", "leader", "admin"})
DISTRICT_ROLES = frozenset({"leader", "admin"})


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


def street_scope(principal: Principal) -> list[str] | None:
    """The community ids (a street's triage queue `street:<id>` included) a wide role's lists are narrowed to: a
    supervisor's street's, nothing for a supervisor without a street; None (the whole district) for leaders and
    admins. Community and department staff are narrowed by their own id, not by this."""
    if principal.role == "supervisor":
        return get_directory().scope_ids(principal.street_id)
    return None


def street_covers(street_id: str | None, community_id: str | None) -> bool:
    """Whether the street holds the community (or is its triage queue): the one street rule, asked of the directory."""
    return street_id is not None and get_directory().street_of(community_id) == street_id


def in_street(principal: Principal, community_id: str | None) -> bool:
    """Whether a supervisor's street holds the community (or its triage queue); True for every other role."""
    return principal.role != "supervisor" or street_covers(principal.street_id, community_id)


def check_street(principal: Principal, community_id: str | None) -> None:
    """Forbidden (403) when a supervisor acts on a ticket of a community outside their street (the one street rule)."""
    if not in_street(principal, community_id):
        raise Forbidden(f"community {community_id!r} is outside your street {principal.street_id!r}")


def check_scope(principal: Principal, *, community_id: str | None = None, department_id: str | None = None) -> None:
    """Forbidden (403) unless the principal's scope covers the community/department: leaders and admins see the
    district; a supervisor the communities of their street (and district departments and their street's own);
    community and department staff their own."""
    if principal.role in DISTRICT_ROLES:
        return
    if principal.role == "supervisor":
        if community_id is not None:
            check_street(principal, community_id)
        if department_id is not None:
            department = get_directory().department(department_id)
            if department is not None and department.street is not None and department.street != principal.street_id:
                raise Forbidden(f"department {department_id!r} is outside your street {principal.street_id!r}")
        return
    if community_id is not None and principal.community_id != community_id:
        raise Forbidden(f"community {community_id!r} is outside your scope")
    if department_id is not None and principal.department_id != department_id:
        raise Forbidden(f"department {department_id!r} is outside your scope")
