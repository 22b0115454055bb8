"""吹哨报到 as the APIs show it: every summons of a ticket from the one fold, with each department's check-in and task
(part of every service's TicketViewPublic, so the console, the worklists and the story read one shape)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import SQLModel

from libs.ticket.stages import Stage
from libs.ticket.view import TicketView


class SummonedDepartment(SQLModel):
    """One summoned department: lead (resolves the ticket) or co (completes a task of its own)."""

    department_id: str
    role: str  # "lead" | "co"
    checked_in_at: datetime | None = None  # 报到
    late: bool | None = None  # past the on-site due time or farther than the radius from the place
    distance_m: float | None = None  # None: checked in without a position
    completed_at: datetime | None = None  # a co-department's task done (the lead's is the ticket's 办结)
    check_in_due: datetime | None = None
    task_due: datetime | None = None  # a co-task's due time, as the ticket's workflow counts it


class SummonsPublic(SQLModel):
    summons_id: str
    lead_department_id: str
    reason: str
    summoned_at: datetime
    on_site_due: datetime
    open: bool  # False once the lead resolved, returned or lost the ticket
    joint_handling: bool = False  # opened for a ticket whose second rating failed (联席办)
    departments: list[SummonedDepartment]


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def summons_public(view: TicketView) -> list[SummonsPublic]:
    """The ticket's summonses, oldest first."""
    found = []
    for sid, s in view.summons.items():
        departments = [
            SummonedDepartment(
                department_id=dept, role=task["role"], checked_in_at=_at(task.get("checked_in_at")), late=task.get("late"),
                distance_m=task.get("distance_m"), completed_at=_at(task.get("completed_at")),
                check_in_due=_at(task.get("clocks", {}).get(Stage.check_in.value, {}).get("due")),
                task_due=_at(task.get("clocks", {}).get(Stage.co_task.value, {}).get("due")),
            )
            for dept, task in s["departments"].items()
        ]
        found.append(SummonsPublic(
            summons_id=sid, lead_department_id=s["lead"], reason=s.get("reason", ""), summoned_at=_at(s["summoned_at"]),
            on_site_due=_at(s["on_site_due"]), open=bool(s.get("open")), joint_handling=bool(s.get("joint_handling")),
            departments=departments,
        ))
    return found
