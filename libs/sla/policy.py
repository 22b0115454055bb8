"""SLA policy as data: per urgency and category, the time each stage may take. Pure; safe in the workflow sandbox."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from libs.ticket.stages import SLA_STAGES

UNITS = ("seconds", "minutes", "clock_hours", "days", "working_hours", "working_days")
STAGES: tuple[str, ...] = tuple(s.value for s in SLA_STAGES)  # the stages a policy gives a span to
URGENCIES = ("emergency", "urgent", "ordinary", "complex")


def default_policy_file() -> Path:
    """SLA_POLICY_FILE (settings), else <repo>/config/sla_policy.yaml. A function, imported lazily: the workflow
    sandbox refuses file access at import, and workflows never load the policy themselves."""
    from libs.settings import get_settings

    return get_settings().sla_policy_file or Path(__file__).resolve().parents[2] / "config" / "sla_policy.yaml"


# 回访: how long staff have to call back a resident who let the rating window pass (a policy may say otherwise).
DEFAULT_CALLBACK = {"amount": 3, "unit": "working_days"}


class PolicyError(ValueError):
    """The policy document is not usable; the message names the offending key."""


@dataclass(frozen=True)
class Span:
    amount: float
    unit: str

    @classmethod
    def parse(cls, raw: Any, where: str) -> "Span":
        if not isinstance(raw, dict) or set(raw) != {"amount", "unit"}:
            raise PolicyError(f"{where}: expected {{amount, unit}}, got {raw!r}")
        amount, unit = raw["amount"], raw["unit"]
        if not isinstance(amount, (int, float)) or isinstance(amount, bool) or amount <= 0:
            raise PolicyError(f"{where}.amount: must be a positive number, got {amount!r}")
        if unit not in UNITS:
            raise PolicyError(f"{where}.unit: must be one of {', '.join(UNITS)}, got {unit!r}")
        return cls(float(amount), unit)


@dataclass(frozen=True)
class TicketSla:
    """The slice of the policy one ticket lives by, frozen into its workflow at filing."""

    policy_version: int
    warning_fraction: float
    stages: dict[str, Span]
    level2_after: Span
    level3_after: Span
    joint_on_site: Span
    callback: Span = Span(**DEFAULT_CALLBACK)  # 回访 (tickets filed before it existed get the default)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TicketSla":
        return cls(
            policy_version=data["policy_version"],
            warning_fraction=data["warning_fraction"],
            stages={k: Span(**v) for k, v in data["stages"].items()},
            level2_after=Span(**data["level2_after"]),
            level3_after=Span(**data["level3_after"]),
            joint_on_site=Span(**data["joint_on_site"]),
            callback=Span(**data.get("callback", DEFAULT_CALLBACK)),
        )


@dataclass(frozen=True)
class SlaPolicy:
    version: int
    warning_fraction: float
    level2_after: Span
    level3_after: Span
    joint_on_site: Span
    urgencies: dict[str, dict[str, Span]]
    callback: Span = Span(**DEFAULT_CALLBACK)
    urgency_ladders: dict[str, tuple[Span, Span]] = field(default_factory=dict)
    categories: dict[str, dict[str, Span]] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, doc: Any) -> "SlaPolicy":
        """Validate a policy document (YAML/JSON already loaded) into a policy, or raise PolicyError."""
        if not isinstance(doc, dict):
            raise PolicyError("policy: expected a mapping")
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise PolicyError(f"version: must be a positive integer, got {version!r}")
        fraction = doc.get("warning_fraction", 0.8)
        if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise PolicyError(f"warning_fraction: must be between 0 and 1, got {fraction!r}")
        ladder = doc.get("ladder") or {}
        if not isinstance(ladder, dict):
            raise PolicyError(f"ladder: expected a mapping of level2_after/level3_after, got {ladder!r}")
        urgencies_doc = doc.get("urgencies")
        if not isinstance(urgencies_doc, dict):
            raise PolicyError("urgencies: required mapping of urgency -> stages")
        urgencies: dict[str, dict[str, Span]] = {}
        ladders: dict[str, tuple[Span, Span]] = {}
        for urgency in URGENCIES:
            stages_doc = urgencies_doc.get(urgency)
            if not isinstance(stages_doc, dict):
                raise PolicyError(f"urgencies.{urgency}: missing")
            urgencies[urgency] = {s: Span.parse(stages_doc.get(s), f"urgencies.{urgency}.{s}") for s in STAGES}
            if "ladder" in stages_doc:
                own = stages_doc["ladder"]
                if not isinstance(own, dict):
                    raise PolicyError(f"urgencies.{urgency}.ladder: expected a mapping of level2_after/level3_after, got {own!r}")
                ladders[urgency] = (
                    Span.parse(own.get("level2_after"), f"urgencies.{urgency}.ladder.level2_after"),
                    Span.parse(own.get("level3_after"), f"urgencies.{urgency}.ladder.level3_after"),
                )
        unknown = set(urgencies_doc) - set(URGENCIES)
        if unknown:
            raise PolicyError(f"urgencies: unknown urgency {sorted(unknown)[0]!r}; known: {', '.join(URGENCIES)}")
        categories: dict[str, dict[str, Span]] = {}
        categories_doc = doc.get("categories") or {}
        if not isinstance(categories_doc, dict):
            raise PolicyError("categories: expected a mapping of category -> stage overrides")
        for category, overrides in categories_doc.items():
            if not isinstance(overrides, dict):
                raise PolicyError(f"categories.{category}: expected a mapping of stage -> span")
            bad = set(overrides) - set(STAGES)
            if bad:
                raise PolicyError(f"categories.{category}: unknown stage {sorted(bad)[0]!r}; known: {', '.join(STAGES)}")
            categories[category] = {s: Span.parse(v, f"categories.{category}.{s}") for s, v in overrides.items()}
        return cls(
            version=version,
            warning_fraction=float(fraction),
            level2_after=Span.parse(ladder.get("level2_after"), "ladder.level2_after"),
            level3_after=Span.parse(ladder.get("level3_after"), "ladder.level3_after"),
            joint_on_site=Span.parse(doc.get("joint_on_site"), "joint_on_site"),
            callback=Span.parse(doc.get("callback", DEFAULT_CALLBACK), "callback"),
            urgencies=urgencies,
            urgency_ladders=ladders,
            categories=categories,
            document=doc,
        )

    def for_ticket(self, urgency: str, category: str) -> TicketSla:
        """Stages for this urgency, with the category's overrides (an emergency keeps its own clock)."""
        stages = dict(self.urgencies.get(urgency) or self.urgencies["ordinary"])
        if urgency != "emergency":
            stages.update(self.categories.get(category, {}))
        level2, level3 = self.urgency_ladders.get(urgency, (self.level2_after, self.level3_after))
        return TicketSla(
            policy_version=self.version,
            warning_fraction=self.warning_fraction,
            stages=stages,
            level2_after=level2,
            level3_after=level3,
            joint_on_site=self.joint_on_site,
            callback=self.callback,
        )


def load_policy(path: Path | str | None = None) -> SlaPolicy:
    import yaml

    return SlaPolicy.parse(yaml.safe_load(Path(path or default_policy_file()).read_text(encoding="utf-8")))
