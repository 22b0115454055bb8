"""积分规则 as versioned data: what each action earns; config/points_rules.yaml is version 1, admins publish the next."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, Session, SQLModel, col, select

from libs.auth.principal import Principal
from libs.events.wishes import PointsRulesPublished
from libs.statemachine import Rejected, check_next_version
from libs.versioned import publish_next_version, stored_public

RULES_FILE = Path(__file__).resolve().parents[2] / "config" / "points_rules.yaml"
ACTIONS = ("wish_fulfilled", "rating_given", "project_attended", "hazard_verified")
# Actions added after version 1 was published: a stored document without them keeps the shipped file's rule.
LATER_ACTIONS = frozenset({"project_attended", "hazard_verified"})


class PointsRulesRow(SQLModel, table=True):
    """Every version an admin published; the highest is current."""

    __tablename__ = "wishes_points_rules"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: dict = Field(sa_column=Column(JSON, nullable=False))
    published_by: str = Field(max_length=80)
    published_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PointsRulesPublic(SQLModel):
    version: int
    source: Literal["file", "stored"]
    document: dict
    published_by: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class ActionRule:
    points: int
    points_per_hour: int
    max_hours: float
    daily_cap: int | None


@dataclass(frozen=True)
class PointsRules:
    version: int
    actions: dict[str, ActionRule]

    @classmethod
    def parse(cls, document: Any, defaults: "PointsRules | None" = None) -> "PointsRules":
        """Validated rules; every error is a 422 naming its key. An action added later and missing from `document`
        takes the rule of `defaults` (the shipped file) when given."""
        if not isinstance(document, dict):
            raise Rejected("document: 应为对象")
        version = document.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise Rejected("version: 应为正整数")
        raw = document.get("actions")
        if not isinstance(raw, dict):
            raise Rejected("actions: 应为对象")
        unknown = set(raw) - set(ACTIONS)
        if unknown:
            raise Rejected(f"actions.{sorted(unknown)[0]}: 没有这种积分行为（可用：{'、'.join(ACTIONS)}）")
        actions = {}
        for name in ACTIONS:
            rule = raw.get(name)
            if rule is None and defaults is not None and name in LATER_ACTIONS:
                actions[name] = defaults.actions[name]
                continue
            if not isinstance(rule, dict):
                raise Rejected(f"actions.{name}: 缺少这项规则")
            actions[name] = ActionRule(
                points=_whole(rule, name, "points"), points_per_hour=_whole(rule, name, "points_per_hour"),
                max_hours=_hours(rule, name), daily_cap=_cap(rule, name),
            )
        return cls(version=version, actions=actions)

    def document(self) -> dict[str, Any]:
        return {"version": self.version, "actions": {n: a.__dict__.copy() for n, a in self.actions.items()}}


def _whole(rule: dict, name: str, key: str) -> int:
    value = rule.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
        raise Rejected(f"actions.{name}.{key}: 应为 0 到 10000 的整数")
    return value


def _hours(rule: dict, name: str) -> float:
    value = rule.get("max_hours", 0)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 24:
        raise Rejected(f"actions.{name}.max_hours: 应为 0 到 24 之间的数")
    return float(value)


def _cap(rule: dict, name: str) -> int | None:
    value = rule.get("daily_cap")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise Rejected(f"actions.{name}.daily_cap: 应为正整数或 null")
    return value


@lru_cache(maxsize=1)
def shipped_rules() -> PointsRules:
    return PointsRules.parse(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")))


def _latest(session: Session) -> PointsRulesRow | None:
    return session.exec(select(PointsRulesRow).order_by(col(PointsRulesRow.version).desc()).limit(1)).first()


def current_rules_public(session: Session) -> PointsRulesPublic:
    stored = _latest(session)
    if stored is not None:
        return stored_public(PointsRulesPublic, stored)
    rules = shipped_rules()
    return PointsRulesPublic(version=rules.version, source="file", document=rules.document())


def current_rules(session: Session) -> PointsRules:
    stored = _latest(session)
    return PointsRules.parse(stored.document, shipped_rules()) if stored is not None else shipped_rules()


def publish_rules(session: Session, *, principal: Principal, document: dict[str, Any]) -> PointsRulesPublic:
    """The next version (current + 1): credits from now on follow it; earlier credits keep the version they used."""

    def accept(current_version: int) -> tuple[int, dict[str, Any]]:
        rules = PointsRules.parse(document, shipped_rules())
        check_next_version(current_version, rules.version)
        return rules.version, rules.document()

    return publish_next_version(
        session, principal=principal, lock_id=0x5A1C, current_version=lambda s: current_rules_public(s).version,
        accept=accept, table=PointsRulesRow,
        event=lambda actor, version, doc: PointsRulesPublished(actor=actor, rules_version=version, document=doc),
        public=PointsRulesPublic,
    )
