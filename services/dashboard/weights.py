"""综合得分的权重 as a versioned admin document: version 1 is the default (响应率 30, 解决率 35, 满意率 35); admins publish
version n+1 (PUT /admin/score-weights). Only the dashboard reads it, so no event announces it (like notify's roster)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import JSON, Column, DateTime, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from libs.auth.principal import Principal
from libs.statemachine import DomainError, Rejected, check_next_version
from libs.versioned import stored_public
from services.dashboard.rates import DEFAULT_WEIGHTS

KEYS = {"response": "响应率", "resolution": "解决率", "satisfaction": "满意率"}
LOCK_ID = 0xDA5B


class DashboardWeights(SQLModel, table=True):
    """Every version an admin published; the highest is in force."""

    __tablename__ = "dashboard_weights"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: dict = Field(sa_column=Column(JSON, nullable=False))
    published_by: str = Field(max_length=80)
    published_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class WeightsPublic(SQLModel):
    version: int
    source: Literal["default", "stored"]
    document: dict
    published_by: str | None = None
    published_at: datetime | None = None


def parse(document: Any) -> dict[str, int]:
    """The weights of a document; a 422 names the bad key. They must add up to 100."""
    if not isinstance(document, dict):
        raise Rejected("document: 应为对象")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Rejected("version: 应为正整数")
    unknown = set(document) - set(KEYS) - {"version"}
    if unknown:
        raise Rejected(f"{sorted(unknown)[0]}: 没有这个权重（可用：{'、'.join(KEYS)}）")
    weights = {}
    for key, name in KEYS.items():
        value = document.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise Rejected(f"{key}: {name}的权重应为 0 到 100 的整数")
        weights[key] = value
    if sum(weights.values()) != 100:
        raise Rejected(f"response: 三项权重之和应为 100（现为 {sum(weights.values())}）")
    return weights


def _latest(session: Session) -> DashboardWeights | None:
    return session.exec(select(DashboardWeights).order_by(col(DashboardWeights.version).desc()).limit(1)).first()


def current_public(session: Session) -> WeightsPublic:
    stored = _latest(session)
    if stored is not None:
        return stored_public(WeightsPublic, stored)
    return WeightsPublic(version=1, source="default", document={"version": 1, **DEFAULT_WEIGHTS})


def current_weights(session: Session) -> dict[str, int]:
    stored = _latest(session)
    return parse(stored.document) if stored is not None else dict(DEFAULT_WEIGHTS)


def publish(session: Session, *, principal: Principal, document: dict[str, Any]) -> WeightsPublic:
    """Version current + 1; every score from now on (also of past periods) uses it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa_select(func.pg_advisory_xact_lock(LOCK_ID)))
    weights = parse(document)
    check_next_version(current_public(session).version, document["version"])
    row = DashboardWeights(version=document["version"], document={"version": document["version"], **weights},
                           published_by=principal.sub, published_at=datetime.now(timezone.utc))
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(f"version: {row.version} was published meanwhile; reload and try again") from None
    return stored_public(WeightsPublic, row)
