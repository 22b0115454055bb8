"""The three rates leadership watches, defined once (三率). Pure functions of event-derived counters.

- response rate 响应率: tickets that got a response (department 签收 or community 即办) / tickets filed.
- closure rate 办结率: tickets handled to the end (department 办结 or community 即办) / tickets filed.
- satisfaction rate 满意率: ratings "satisfied" or "basically satisfied" / ratings given.
Counted once per ticket: a reopened ticket that is accepted again does not count twice as responded.
A rate with no denominator is None (shown as "—"), never 0 or 100%.
"""
from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel


class Rates(BaseModel):
    response_rate: float | None
    closure_rate: float | None
    satisfaction_rate: float | None


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def compute_rates(counters: Mapping[str, int]) -> Rates:
    filed = counters.get("filed", 0)
    return Rates(
        response_rate=_ratio(counters.get("responded", 0), filed),
        closure_rate=_ratio(counters.get("handled", 0), filed),
        satisfaction_rate=_ratio(counters.get("satisfied", 0), counters.get("rated", 0)),
    )
