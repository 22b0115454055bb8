"""FastAPI side of auth: the bearer-token dependency every endpoint uses and the role check. The caller
(`Principal`), token minting and the scope check live in `libs.auth.principal`, free of the web framework."""
from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from libs.auth.principal import ALGORITHM, ROLES, Principal, Role, check_scope, mint_token
from libs.settings import get_settings

__all__ = ["ALGORITHM", "ROLES", "Principal", "Role", "check_scope", "current_principal", "decode_token", "mint_token", "require"]


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
