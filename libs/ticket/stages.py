"""The stages a ticket's deadlines are counted in: one enum for the state machine, the SLA policy, the workflow
and the portal. Stdlib only, so the workflow sandbox may import it."""
from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    dispatch = "dispatch"  # 社区转哨: from filing, a return (退单) or a reopen (重办)
    accept = "accept"  # 部门签收: from dispatch
    contact = "contact"  # 先行联系: from acceptance
    resolve = "resolve"  # 办结: from dispatch (signing late buys no time)
    rating = "rating"  # 评价: from resolution or 即办
    joint_handling = "joint_handling"  # 联席办: a reopened ticket failed again; the street convenes the departments
    callback = "callback"  # 回访: the rating window passed unrated; the community calls the resident
    check_in = "check_in"  # 报到: a summoned department on site (吹哨报到), from the summons, by its on-site due time
    co_task = "co_task"  # 协办任务: a co-department's task of a summons, from the summons, the ticket's resolve span


# Stages the SLA policy gives a span per urgency to; joint handling and callback have one span each (`joint_on_site`,
# `callback`); a summons' check-in runs to the due time it carries (`joint_on_site` from the summons), a co-task for
# the resolve span.
SLA_STAGES: tuple[Stage, ...] = (Stage.dispatch, Stage.accept, Stage.contact, Stage.resolve, Stage.rating)
# Stages whose deadline escalates (督办); the rating window closes the ticket instead.
ESCALATING_STAGES: frozenset[Stage] = frozenset(set(Stage) - {Stage.rating})
# Stages counted per summoned department (one timer each; notices name the department).
SUMMONS_STAGES: frozenset[Stage] = frozenset({Stage.check_in, Stage.co_task})
