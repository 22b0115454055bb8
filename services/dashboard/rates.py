"""The rates leadership watches (三率 and more), defined once. Pure functions of event-derived counters summed over a
period; the page shows DEFINITIONS beside the figures.

How a ticket counts (cohort accounting): every figure of a ticket is kept on the Beijing day it was filed, so "November"
means "the tickets filed in November" and each rate's numerator is a part of its denominator. A department's figures are
kept on the day each dispatch reached it (派单到部门): one dispatch is one piece of work for the department, received,
accepted, resolved or returned by it; the rating of its work is the rating that followed its own 办结.

A rate with no denominator is None (shown as "—"), never 0 or 100%. A ticket's latest outcome counts: rated (satisfied,
basically satisfied or unsatisfied), unrated (评价期满无人评价) or unreachable (回访未接通) — unrated and unreachable
tickets are never counted as satisfied, and they are shown beside the satisfaction rate, not inside it.

吹哨报到 (summons.py) is counted on the day of the summons: an area shows how many summonses were made for its tickets;
a department its times summoned and its on-time check-in rate (报到准时率), which is not part of the composite score.
"""
from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

DEFAULT_WEIGHTS = {"response": 30, "resolution": 35, "satisfaction": 35}


class Rates(BaseModel):
    response_rate: float | None  # 响应率
    resolution_rate: float | None = None  # 解决率 (the resident says it was solved)
    satisfaction_rate: float | None = None  # 满意率
    closure_rate: float | None = None  # 办结率
    on_time_rate: float | None = None  # 按期办结率
    accept_on_time_rate: float | None = None  # 按时签收率 (departments)
    overdue_rate: float | None = None  # 超期率
    return_rate: float | None = None  # 退单率
    reopen_rate: float | None = None  # 重办率
    avg_handling_hours: float | None = None  # 平均办理时长（小时）
    summons_on_time_rate: float | None = None  # 报到准时率 (departments: 吹哨报到)
    summonses: int = 0  # 吹哨报到次数 (areas: summonses; departments: times summoned)
    score: float | None = None  # 综合得分 0-100
    unrated: int = 0  # 未评价 (评价期满)
    unreachable: int = 0  # 回访未接通
    awaiting_rating: int = 0  # 已办结、尚无评价结果


# What each rate means, for the page (area scopes: all, community, grid, category, channel, kind; departments).
DEFINITIONS: dict[str, tuple[str, str, str]] = {
    # key: (name, area definition, department definition)
    "response_rate": ("响应率", "已签收或社区即办的诉求 ÷ 受理诉求（不含被合并的重复件）",
                      "部门签收的派单 ÷ 派给该部门的派单"),
    "resolution_rate": ("解决率", "评价为“已解决”的诉求 ÷ 已评价诉求", "对该部门办结的评价为“已解决” ÷ 对其办结的评价"),
    "satisfaction_rate": ("满意率", "评价满意或基本满意 ÷ 已评价诉求；未评价、回访未接通不计入，也从不算作满意",
                          "对该部门办结的满意或基本满意评价 ÷ 对其办结的评价"),
    "closure_rate": ("办结率", "部门办结或社区即办的诉求 ÷ 受理诉求", "部门办结的派单 ÷ 派给该部门的派单"),
    "on_time_rate": ("按期办结率", "办结时从未超期（未被督办）的诉求 ÷ 已办结诉求", "在办理时限内办结的派单 ÷ 办结的派单"),
    "accept_on_time_rate": ("按时签收率", "—", "在签收时限内签收的派单 ÷ 签收的派单"),
    "overdue_rate": ("超期率", "曾超过任一环节时限（督办）的诉求 ÷ 受理诉求", "在该部门办理期间超期的派单 ÷ 派给该部门的派单"),
    "return_rate": ("退单率", "退单次数 ÷ 派单次数", "该部门退回的派单 ÷ 派给该部门的派单"),
    "reopen_rate": ("重办率", "因不满意被重办过的诉求 ÷ 已办结诉求", "办结后被重办的派单 ÷ 办结的派单"),
    "avg_handling_hours": ("平均办理时长", "从受理到首次办结的平均小时数（自然时间）", "从派单到办结的平均小时数（自然时间）"),
    "summons_on_time_rate": ("报到准时率", "—（区域显示吹哨报到次数）",
                             "准时到场报到的次数 ÷ 已到报到时限的被吹哨次数（已报到，或过了到场时限仍未报到）；"
                             "迟到（超过到场时限或不在现场范围内）和未报到都不算准时，尚未到时限的不计入"),
    "score": ("综合得分", "响应率、解决率、满意率按管理员设定的权重加权（满分 100）；任一率缺数据时不计分",
              "同左，用部门的三率"),
}


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _hours(seconds: int, count: int) -> float | None:
    return round(seconds / count / 3600, 1) if count else None


def composite(rates: Rates, weights: Mapping[str, int] | None = None) -> float | None:
    """综合得分: the weighted mean of response, resolution and satisfaction (×100); None when one of them is missing."""
    weights = weights or DEFAULT_WEIGHTS
    parts = {"response": rates.response_rate, "resolution": rates.resolution_rate, "satisfaction": rates.satisfaction_rate}
    total = sum(weights.values())
    if any(value is None for value in parts.values()) or not total:
        return None
    return round(sum(weights[k] * v for k, v in parts.items() if v is not None) / total * 100, 1)


def compute_rates(counters: Mapping[str, int], weights: Mapping[str, int] | None = None) -> Rates:
    """Rates of an area (district, community, grid, category, channel, kind) from its summed counters."""
    c = counters.get
    base = c("filed", 0) - c("merged", 0)
    handled, rated = c("handled", 0), c("rated", 0)
    rates = Rates(
        response_rate=_ratio(c("responded", 0), base),
        resolution_rate=_ratio(c("solved", 0), rated),
        satisfaction_rate=_ratio(c("satisfied", 0), rated),
        closure_rate=_ratio(handled, base),
        on_time_rate=_ratio(c("handled_on_time", 0), handled),
        overdue_rate=_ratio(c("overdue", 0), base),
        return_rate=_ratio(c("returned", 0), c("dispatches", 0)),
        reopen_rate=_ratio(c("reopened", 0), handled),
        avg_handling_hours=_hours(c("handle_seconds", 0), handled),
        summonses=c("summonses", 0),
        unrated=c("unrated", 0),
        unreachable=c("unreachable", 0),
        awaiting_rating=max(handled - rated - c("unrated", 0) - c("unreachable", 0), 0),
    )
    rates.score = composite(rates, weights)
    return rates


def compute_department_rates(counters: Mapping[str, int], weights: Mapping[str, int] | None = None) -> Rates:
    """Rates of a department from the dispatches it received (see the module's docstring)."""
    c = counters.get
    received, resolved, rated = c("received", 0), c("resolved", 0), c("rated", 0)
    rates = Rates(
        response_rate=_ratio(c("accepted", 0), received),
        resolution_rate=_ratio(c("solved", 0), rated),
        satisfaction_rate=_ratio(c("satisfied", 0), rated),
        closure_rate=_ratio(resolved, received),
        on_time_rate=_ratio(c("resolved_on_time", 0), resolved),
        accept_on_time_rate=_ratio(c("accepted_on_time", 0), c("accepted", 0)),
        overdue_rate=_ratio(c("overdue", 0), received),
        return_rate=_ratio(c("returned", 0), received),
        reopen_rate=_ratio(c("reopened", 0), resolved),
        avg_handling_hours=_hours(c("handle_seconds", 0), resolved),
        summons_on_time_rate=_ratio(c("summons_on_time", 0), c("summons_checked_in", 0) + c("summons_missed", 0)),
        summonses=c("summoned", 0),
        unrated=c("unrated", 0),
        unreachable=c("unreachable", 0),
        awaiting_rating=max(resolved - rated - c("unrated", 0) - c("unreachable", 0), 0),
    )
    rates.score = composite(rates, weights)
    return rates


def rates_for(scope: str, counters: Mapping[str, int], weights: Mapping[str, int] | None = None) -> Rates:
    if scope.startswith("department:"):
        return compute_department_rates(counters, weights)
    return compute_rates(counters, weights)


def change(current: float | None, before: float | None) -> float | None:
    """Change of a rate in percentage points (0.8 -> 0.85 is +5.0); None when either side is missing."""
    if current is None or before is None:
        return None
    return round((current - before) * 100, 1)


def count_change(current: int, before: int) -> float | None:
    """Relative change of a count (10 -> 12 is +0.2); None when there was nothing before."""
    return round((current - before) / before, 4) if before else None
