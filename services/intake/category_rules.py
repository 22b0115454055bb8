"""The category keyword rules admins edit (分类建议): stored per version in intake's database, each publication an event
on the `config` topic. Every replica keeps the suggester of the version it last used and compares it with the stored
latest version on each use (one indexed row), so a publication on one replica reaches all of them at once."""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.directory import get_directory
from libs.events import CategoryRulesPublished
from libs.statemachine import check_next_version
from libs.versioned import publish_next_version, stored_public
from services.intake.models import (
    CategoryRulesPublic,
    CategorySuggestion,
    IntakeCategoryRules,
    SuggestResponse,
)
from services.intake.suggest import CategoryRules, Suggester, load_rules_file

_cache: dict[Any, Any] = {}  # "file": the shipped rules; (database url, version): that version's Suggester
_cache_lock = threading.Lock()


def _file_rules() -> CategoryRules:
    rules = _cache.get("file")
    if rules is None:
        rules = _cache["file"] = load_rules_file(get_directory())
    return rules


def _latest(session: Session) -> IntakeCategoryRules | None:
    return session.exec(select(IntakeCategoryRules).order_by(col(IntakeCategoryRules.version).desc()).limit(1)).first()


def current_rules(session: Session) -> CategoryRulesPublic:
    """The latest published version, else the shipped file (config/category_keywords.yaml)."""
    stored = _latest(session)
    if stored is not None:
        return stored_public(CategoryRulesPublic, stored)
    rules = _file_rules()
    return CategoryRulesPublic(version=rules.version, source="file", document=rules.document())


def current_suggester(session: Session) -> Suggester:
    """The suggester of the current rules version, built once per version per process."""
    stored_version = session.exec(sa_select(func.max(IntakeCategoryRules.version))).scalar_one_or_none()
    key = (str(session.get_bind().url), stored_version or _file_rules().version)  # one process may serve several DBs (tests)
    cached: Suggester | None = _cache.get(key)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        if stored_version is None:
            rules = _file_rules()
        else:
            row = session.get(IntakeCategoryRules, stored_version)
            assert row is not None
            rules = CategoryRules.parse(row.document, get_directory())
        suggester = Suggester(rules)
        suggester.words("预热")  # load the dictionary now, not inside someone's filing
        for stale in [k for k in _cache if isinstance(k, tuple)]:  # one suggester per process (~70 MB of dictionary)
            del _cache[stale]
        _cache[key] = suggester
        return suggester


def publish_rules(session: Session, *, principal: Principal, document: dict[str, Any]) -> CategoryRulesPublic:
    """A new rules version (version = current + 1), used by every filing from now on."""

    def accept(current_version: int) -> tuple[int, dict[str, Any]]:
        rules = CategoryRules.parse(document, get_directory())
        check_next_version(current_version, rules.version)
        return rules.version, rules.document()

    return publish_next_version(
        session,
        principal=principal,
        lock_id=0x5A1B,
        current_version=lambda s: current_rules(s).version,
        accept=accept,
        table=IntakeCategoryRules,
        event=lambda actor, version, doc: CategoryRulesPublished(actor=actor, rules_version=version, document=doc),
        public=CategoryRulesPublic,
    )


def suggest(session: Session, *, title: str, description: str, limit: int = 3) -> SuggestResponse:
    suggester = current_suggester(session)
    directory = get_directory()
    found = suggester.suggest(f"{title}\n{description}", limit=limit)
    return SuggestResponse(
        rules_version=suggester.rules.version,
        fallback=suggester.rules.fallback,
        suggestions=[
            CategorySuggestion(
                category=s.category,
                name=(directory.category(s.category) or directory.categories[0]).name,
                score=s.score,
                matched=list(s.matched),
                reason=s.reason,
            )
            for s in found
        ],
    )


def choose_category(session: Session, *, title: str, description: str) -> tuple[str, str]:
    """(category, reason) for a filing that names none."""
    return current_suggester(session).choose(f"{title}\n{description}")
