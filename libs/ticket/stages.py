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


# Stages the SLA policy gives a span per urgency to; joint handling and callback have one span each (`joint_on_site`,
# `callback`).
SLA_STAGES: tuple[Stage, ...] = (Stage.dispatch, Stage.accept, Stage.contact, Stage.resolve, Stage.rating)
# Stages whose deadline escalates (督办); the rating window closes the ticket instead.
ESCALATING_STAGES: frozenset[Stage] = frozenset(set(Stage) - {Stage.rating})
