"""系统设置's 办理时限 as a form, not JSON: per urgency (紧急, 加急, 一般, 复杂) the time of every stage as amount + unit,
the 催办 percentage, the 督办 ladder (overall and an urgency's own), 联席到场 (and any other policy-wide span), and per
category overrides (the utilities' 24 hours). `form_fields(document)` fills the inputs from a policy document;
`next_document(current, fields)` reads them back into the next version of that document — keeping every key the form
does not show — or raises `PolicyFormInvalid` with one Chinese message per input, each naming its field. The result
goes through the same dispatch API as the JSON editor (PUT /admin/sla-policy), which checks it again.

Inputs are named by their place in the document: `urgencies.ordinary.resolve.amount`, `ladder.level2_after.unit`,
`categories.0.id` (a category row), `warning_percent`."""
from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

from libs.directory import Directory
from libs.sla.policy import STAGES, UNITS, URGENCIES
from services.portal.labels import JOINT_ON_SITE_LABEL, STAGE_LABELS, UNIT_LABELS, URGENCY_LABELS

# The units offered, as people choose them (working time first); every unit the policy knows, so any document round-trips.
FORM_UNITS: tuple[str, ...] = ("working_days", "working_hours", "clock_hours", "days", "minutes", "seconds")
assert set(FORM_UNITS) == set(UNITS)
LEVELS = {"level2_after": "升 2 级", "level3_after": "升 3 级"}
# Policy-wide spans besides the ladder: shown when the policy has them (联席到场 always).
POLICY_SPANS = {"joint_on_site": JOINT_ON_SITE_LABEL, "callback": "回访"}
MAX_AMOUNT = 1000  # no stage lasts a thousand of anything
EXTRA_CATEGORY_ROWS = 2  # empty rows offered for new category overrides
STAGE_NAMES = {s: STAGE_LABELS.get(s, s) for s in STAGES}


class PolicyFormInvalid(ValueError):
    """What is wrong, per input name, in Chinese; nothing is published."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


def _amount_text(amount: Any) -> str:
    if isinstance(amount, float) and amount.is_integer():
        return str(int(amount))
    return "" if amount is None else str(amount)


def _span_fields(prefix: str, span: Any) -> dict[str, str]:
    span = span if isinstance(span, dict) else {}
    return {f"{prefix}.amount": _amount_text(span.get("amount")), f"{prefix}.unit": str(span.get("unit") or "working_days")}


def policy_spans(document: Mapping[str, Any]) -> dict[str, str]:
    """The policy-wide spans this document's form shows: 联席到场, and 回访 once the policy has it."""
    return {key: label for key, label in POLICY_SPANS.items() if key == "joint_on_site" or key in document}


def category_rows(document: Mapping[str, Any]) -> int:
    return len(document.get("categories") or {}) + EXTRA_CATEGORY_ROWS


def form_fields(document: Mapping[str, Any]) -> dict[str, str]:
    """Every input's value for `document` (the current policy, or what the admin typed)."""
    fields = {"warning_percent": _amount_text(round(float(document.get("warning_fraction") or 0.8) * 100, 2))}
    ladder = document.get("ladder") or {}
    for level in LEVELS:
        fields.update(_span_fields(f"ladder.{level}", ladder.get(level)))
    for key in policy_spans(document):
        fields.update(_span_fields(key, document.get(key)))
    urgencies = document.get("urgencies") or {}
    for urgency in URGENCIES:
        stages = urgencies.get(urgency) or {}
        for stage in STAGES:
            fields.update(_span_fields(f"urgencies.{urgency}.{stage}", stages.get(stage)))
        own = stages.get("ladder") or {}
        for level in LEVELS:
            fields.update(_span_fields(f"urgencies.{urgency}.ladder.{level}", own.get(level)))
            if not own:
                fields[f"urgencies.{urgency}.ladder.{level}.amount"] = ""
    for row, (category, overrides) in enumerate((document.get("categories") or {}).items()):
        fields[f"categories.{row}.id"] = str(category)
        for stage in STAGES:
            fields.update(_span_fields(f"categories.{row}.{stage}", (overrides or {}).get(stage)))
            if stage not in (overrides or {}):
                fields[f"categories.{row}.{stage}.amount"] = ""
    return fields


class _Reader:
    """Reads spans out of the posted inputs, collecting a Chinese message per bad input."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = fields
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str:
        return str(self.fields.get(name) or "").strip()

    def amount(self, name: str, label: str, *, required: bool = True) -> float | int | None:
        raw = self.text(name)
        if not raw:
            if required:
                self.errors[name] = f"{label}：请填写时长"
            return None
        try:
            amount = float(raw)
        except ValueError:
            self.errors[name] = f"{label}：时长应为数字，收到“{raw[:20]}”"
            return None
        if not math.isfinite(amount) or amount <= 0:
            self.errors[name] = f"{label}：时长应大于 0"
            return None
        if amount > MAX_AMOUNT:
            self.errors[name] = f"{label}：时长不能超过 {MAX_AMOUNT}"
            return None
        return int(amount) if amount.is_integer() else amount

    def span(self, prefix: str, label: str, *, required: bool = True) -> dict[str, Any] | None:
        """{amount, unit}, or None when optional and left blank (or wrong: then an error is recorded)."""
        amount = self.amount(f"{prefix}.amount", label, required=required)
        unit = self.text(f"{prefix}.unit")
        if unit not in UNITS:
            if amount is not None:
                self.errors[f"{prefix}.unit"] = f"{label}：请选择单位（{'、'.join(UNIT_LABELS[u] for u in FORM_UNITS)}）"
            return None
        return None if amount is None else {"amount": amount, "unit": unit}

    def percent(self, name: str, label: str) -> float | None:
        raw = self.text(name).rstrip("%％")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and 0 < value < 100):
            self.errors[name] = f"{label}：应为 1 到 99 之间的百分比，收到“{raw[:20]}”" if raw else f"{label}：请填写百分比"
            return None
        return round(value / 100, 4)


def next_document(current: Mapping[str, Any], version: int, fields: Mapping[str, str], directory: Directory) -> dict[str, Any]:
    """The policy the form describes, as version `version`: the current document with every value the form shows
    replaced. PolicyFormInvalid names each wrong input."""
    read = _Reader(fields)
    document: dict[str, Any] = copy.deepcopy(dict(current))
    document["version"] = version
    fraction = read.percent("warning_percent", "催办提醒")
    if fraction is not None:
        document["warning_fraction"] = fraction
    document["ladder"] = {level: read.span(f"ladder.{level}", f"督办升级 · {label}") for level, label in LEVELS.items()}
    for key, label in policy_spans(current).items():
        document[key] = read.span(key, label)
    urgencies: dict[str, Any] = dict(document.get("urgencies") or {})
    for urgency in URGENCIES:
        name = URGENCY_LABELS.get(urgency, urgency)
        stages = {stage: read.span(f"urgencies.{urgency}.{stage}", f"{name} · {STAGE_NAMES[stage]}") for stage in STAGES}
        prefix = f"urgencies.{urgency}.ladder"
        own = {level: read.span(f"{prefix}.{level}", f"{name} · 督办{label}", required=False) for level, label in LEVELS.items()}
        if any(own.values()):
            for level, label in LEVELS.items():
                if own[level] is None and f"{prefix}.{level}.amount" not in read.errors:
                    read.errors[f"{prefix}.{level}.amount"] = f"{name} · 督办{label}：本级别单独规定督办升级时，两级都要填写"
            stages["ladder"] = own
        urgencies[urgency] = stages
    document["urgencies"] = urgencies
    document["categories"] = _categories(read, directory)
    if read.errors:
        raise PolicyFormInvalid(read.errors)
    return document


def _categories(read: _Reader, directory: Directory) -> dict[str, Any]:
    """按类别调整: one row per category (a row left blank, or a category with no stage filled in, is no override);
    a row names a category of the directory, once."""
    rows = sorted({int(k.split(".")[1]) for k in read.fields if k.startswith("categories.") and k.split(".")[1].isdigit()})
    categories: dict[str, Any] = {}
    seen: set[str] = set()
    for row in rows:
        where = f"按类别调整第 {row + 1} 行"
        category_id = read.text(f"categories.{row}.id")
        category = directory.category(category_id) if category_id else None
        label = category.name if category else where
        overrides = {
            stage: span for stage in STAGES
            if (span := read.span(f"categories.{row}.{stage}", f"{label} · {STAGE_NAMES[stage]}", required=False))
        }
        if not category_id:
            if overrides:
                read.errors[f"categories.{row}.id"] = f"{where}：请选择类别"
            continue
        if category is None:
            read.errors[f"categories.{row}.id"] = (
                f"{where}：类别“{category_id}”不在类别目录中（没有中文名称），请删除这一行或改选目录中的类别"
            )
        elif category_id in seen:
            read.errors[f"categories.{row}.id"] = f"{where}：类别“{category.name}”已在前面的行中调整过"
        elif overrides:  # a category with every stage left blank keeps the urgency's times: no override
            categories[category_id] = overrides
        seen.add(category_id)
    return categories
