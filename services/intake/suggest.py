"""分类建议: which category a filing's text belongs to, from jieba segmentation and per-category keyword rules (with
weights) that admins edit. Pure: `CategoryRules.parse` checks a rules document against the district, `Suggester`
ranks categories for a text and says which words matched. Storage and publishing are in `category_rules.py`."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jieba
import yaml

from libs.directory import Directory
from libs.statemachine import Rejected

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "category_keywords.yaml"
MAX_KEYWORDS = 500  # per category
MAX_WEIGHT = 100.0

jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not our log


class RulesRejected(Rejected):
    """The rules document is not usable; the message names the key at fault (HTTP 422)."""


@dataclass(frozen=True)
class CategoryRules:
    """One version of the rules: category id → {keyword: weight}, in the order categories rank on a tie."""

    version: int
    fallback: str
    categories: dict[str, dict[str, float]]

    @classmethod
    def parse(cls, document: Any, directory: Directory) -> CategoryRules:
        """Validate a rules document; every error names its key (e.g. "categories.road.井盖: weight must be ...")."""
        if not isinstance(document, dict):
            raise RulesRejected("document: must be a mapping with version, fallback and categories")
        unknown = set(document) - {"version", "fallback", "categories"}
        if unknown:
            raise RulesRejected(f"{sorted(unknown)[0]}: unknown key; expected version, fallback, categories")
        version = document.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise RulesRejected("version: must be a positive integer")
        known = [c.id for c in directory.categories]
        fallback = document.get("fallback")
        if fallback not in known:
            raise RulesRejected(f"fallback: unknown category {fallback!r}; known: {', '.join(known)}")
        raw = document.get("categories")
        if not isinstance(raw, dict) or not raw:
            raise RulesRejected("categories: must map category ids to {keyword: weight}")
        categories: dict[str, dict[str, float]] = {}
        for category, keywords in raw.items():
            if category not in known:
                raise RulesRejected(f"categories.{category}: unknown category; known: {', '.join(known)}")
            if not isinstance(keywords, dict):
                raise RulesRejected(f"categories.{category}: must map keywords to weights")
            if len(keywords) > MAX_KEYWORDS:
                raise RulesRejected(f"categories.{category}: at most {MAX_KEYWORDS} keywords")
            parsed: dict[str, float] = {}
            for keyword, weight in keywords.items():
                word = str(keyword).strip()
                if not word or len(word) > 20 or any(ch.isspace() for ch in word):
                    raise RulesRejected(f"categories.{category}.{keyword}: a keyword is 1-20 characters without spaces")
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= MAX_WEIGHT:
                    raise RulesRejected(f"categories.{category}.{word}: weight must be a number in (0, {MAX_WEIGHT:g}]")
                parsed[word] = float(weight)
            categories[category] = parsed
        return cls(version=version, fallback=fallback, categories=categories)

    def document(self) -> dict[str, Any]:
        return {"version": self.version, "fallback": self.fallback, "categories": self.categories}


def load_rules_file(directory: Directory, path: Path = DEFAULT_FILE) -> CategoryRules:
    return CategoryRules.parse(yaml.safe_load(path.read_text(encoding="utf-8")), directory)


@dataclass(frozen=True)
class Suggestion:
    """One ranked category: its score and the words of the text that earned it."""

    category: str
    score: float
    matched: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "匹配关键词：" + "、".join(self.matched)


@dataclass
class Suggester:
    """Ranks the categories of one rules version for a text. Each keyword joins this suggester's own jieba dictionary,
    so "建筑垃圾" stays one word; the shared default dictionary is never changed."""

    rules: CategoryRules
    _tokenizer: jieba.Tokenizer = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    _ready: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self._tokenizer = jieba.Tokenizer()

    def _prepare(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._tokenizer.initialize()
            for keywords in self.rules.categories.values():
                for word in keywords:
                    self._tokenizer.add_word(word, freq=max(self._tokenizer.suggest_freq(word), 10))
            self._ready = True

    def words(self, text: str) -> list[str]:
        """The text's words (jieba precise mode), blanks and punctuation dropped."""
        if not self._ready:
            self._prepare()
        return [w for w in self._tokenizer.lcut(text) if w.strip() and any(ch.isalnum() for ch in w)]

    def suggest(self, text: str, limit: int = 3) -> list[Suggestion]:
        """The categories whose keywords the text contains, best first (ties: the rules' order); [] when none."""
        words = set(self.words(text))
        ranked: list[Suggestion] = []
        for category, keywords in self.rules.categories.items():
            matched = tuple(w for w in keywords if w in words)
            if matched:
                ranked.append(Suggestion(category, sum(keywords[w] for w in matched), matched))
        ranked.sort(key=lambda s: -s.score)  # stable: equal scores keep the rules' order
        return ranked[:limit]

    def choose(self, text: str) -> tuple[str, str]:
        """(category, reason) for a filing without one: the top suggestion, else the fallback."""
        found = self.suggest(text, limit=1)
        if found:
            return found[0].category, found[0].reason
        return self.rules.fallback, "未匹配到关键词，由社区人工分拨"
