"""JWT bearer tokens with role and scope; one FastAPI dependency that every endpoint uses."""
from __future__ import annotations

import time
from typing import Annotated, Literal

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from libs.settings import get_settings

Role = Literal[
    "resident", "grid_worker", "community_staff", "department_staff", "supervisor", "leader", "admin"
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
ALGORITHM = "HS256"


class Principal(BaseModel):
    """The caller: who (sub), what role, and the scope the role acts within."""

    sub: str
    role: Role
    name: str = ""
    community_id: str | None = None
    department_id: str | None = None
    street_id: str | None = None

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


def decode_token(token: str) -> Principal:
    try:
        claims = jwt.decode(
            token, get_settings().jwt_secret, algorithms=[ALGORITHM], issuer="whistle", options={"require": ["exp", "sub"]}
        )
        return Principal.model_validate(claims)
    except (jwt.PyJWTError, ValueError) as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"invalid bearer token: {exc}",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc


_bearer = HTTPBearer(auto_error=False, description="JWT from `whistle-token` or the portal login")


def current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing bearer token in Authorization header",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return decode_token(credentials.credentials)


def require(*roles: str):  # noqa: ANN201 - returns a FastAPI dependency
    """Dependency: the caller must hold one of `roles`; returns the Principal."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def _check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role!r} may not do this; allowed: {', '.join(roles)}",
            )
        return principal

    return _check


def require_scope(principal: Principal, *, community_id: str | None = None, department_id: str | None = None) -> None:
    """403 unless the principal's scope covers the community/department; street and district roles see all."""
    if principal.role in ("supervisor", "leader", "admin"):
        return
    if community_id is not None and principal.community_id != community_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"community {community_id!r} is outside your scope")
    if department_id is not None and principal.department_id != department_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"department {department_id!r} is outside your scope")
