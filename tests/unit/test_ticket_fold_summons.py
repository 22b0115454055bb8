"""吹哨报到 in the one fold: a summons, its departments' check-ins, co-tasks and per-department clocks (one test per new
event, and the summons stages running only while their tasks are open)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from libs.events import (
    Actor,
    DeadlineWarned,
    DepartmentsSummoned,
    Event,
    StageDeadlineSet,
    SummonsCheckedIn,
    SummonsTaskCompleted,
    TicketDispatched,
    TicketEscalated,
    TicketResolved,
    TicketReturned,
)
from libs.ticket import Stage
from libs.ticket import TicketStatus as S
from libs.ticket.summons import open_tasks
from libs.ticket.view import TicketView, fold

A = Actor(role="community_staff", id="staff-1")
T = "T20261127-0009"
AT = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
ON_SITE = AT + timedelta(minutes=30)


def summons(summons_id: str = "S-1", co: tuple[str, ...] = ("water", "power")) -> DepartmentsSummoned:
    return DepartmentsSummoned(
        ticket_id=T, actor=A, occurred_at=AT, summons_id=summons_id, community_id="xinran", lead_department_id="urban",
        co_department_ids=co, reason="多部门联合处置", on_site_due=ON_SITE,
    )


def at_department(status: S = S.accepted) -> TicketView:
    return TicketView(status=status, department_id="urban", contacted=True)


def deadline(stage: Stage, dept: str, due: datetime, warn: datetime | None = None) -> StageDeadlineSet:
    return StageDeadlineSet(ticket_id=T, actor=A, stage=stage, deadline=due, warn_at=warn, department_id=dept)


def run(view: TicketView, *events: Event) -> TicketView:
    for event in events:
        view = fold(view, event)
    return view


def test_a_summons_starts_a_check_in_clock_for_every_department_due_when_the_summons_says() -> None:
    v = fold(at_department(), summons())

    assert v.status == S.accepted  # a summons moves no status
    assert set(v.summons["S-1"]["departments"]) == {"urban", "water", "power"}
    assert v.summons["S-1"]["departments"]["urban"]["role"] == "lead"
    assert v.running_stages() == {Stage.resolve, Stage.check_in, Stage.co_task}  # co-tasks due once the workflow says
    assert v.deadlines[Stage.check_in]["due"] == ON_SITE.isoformat() and Stage.co_task not in v.deadlines
    assert v.next_due == ON_SITE.isoformat()
    assert open_tasks(v) == [("S-1", "urban", "lead"), ("S-1", "water", "co"), ("S-1", "power", "co")]


def test_co_task_deadlines_come_from_the_workflow_and_the_stage_shows_the_earliest() -> None:
    v = run(
        at_department(), summons(),
        deadline(Stage.co_task, "water", AT + timedelta(days=3)), deadline(Stage.co_task, "power", AT + timedelta(days=2)),
    )
    assert v.running_stages() == {Stage.resolve, Stage.check_in, Stage.co_task}
    assert v.deadlines[Stage.co_task]["due"] == (AT + timedelta(days=2)).isoformat()
    assert v.summons["S-1"]["departments"]["water"]["clocks"]["co_task"]["due"] == (AT + timedelta(days=3)).isoformat()


def test_a_deadline_for_a_department_not_summoned_is_dropped() -> None:
    v = fold(at_department(), summons())
    assert fold(v, deadline(Stage.co_task, "gas", AT + timedelta(days=1))) == v
    assert fold(v, deadline(Stage.co_task, "urban", AT + timedelta(days=1))) == v  # the lead has no co-task


def test_a_check_in_records_lateness_and_stops_that_departments_clock_only() -> None:
    v = run(at_department(), summons(), deadline(Stage.check_in, "power", ON_SITE + timedelta(minutes=5)))
    late = SummonsCheckedIn(
        ticket_id=T, actor=A, summons_id="S-1", department_id="water", latitude=39.9, longitude=116.4, distance_m=820.5, late=True
    )
    v = fold(v, late)

    water = v.summons["S-1"]["departments"]["water"]
    assert (water["late"], water["distance_m"]) == (True, 820.5) and water["checked_in_at"]
    assert Stage.check_in in v.running_stages()  # urban and power are still on their way
    v = run(
        v,
        SummonsCheckedIn(ticket_id=T, actor=A, summons_id="S-1", department_id="urban"),
        SummonsCheckedIn(ticket_id=T, actor=A, summons_id="S-1", department_id="power"),
    )
    assert Stage.check_in not in v.running_stages() and Stage.check_in not in v.deadlines


def test_a_warning_and_an_escalation_stand_for_the_late_department_until_it_checks_in() -> None:
    v = fold(at_department(), summons())
    v = run(
        v,
        DeadlineWarned(ticket_id=T, actor=A, stage="check_in", deadline=ON_SITE, department_id="water"),
        TicketEscalated(ticket_id=T, actor=A, stage="check_in", level=1, deadline=ON_SITE, department_id="water"),
    )
    assert v.warnings == {"check_in": ON_SITE.isoformat()}
    assert (v.escalation_level, v.escalation_stage) == (1, Stage.check_in)
    assert v.summons["S-1"]["departments"]["water"]["clocks"]["check_in"]["level"] == 1

    v = fold(v, SummonsCheckedIn(ticket_id=T, actor=A, summons_id="S-1", department_id="water", late=True))
    assert v.escalations == {} and v.warnings == {}
    # A late escalation for a department that already checked in is stale.
    assert fold(v, TicketEscalated(ticket_id=T, actor=A, stage="check_in", level=2, deadline=ON_SITE, department_id="water")) == v


def test_a_completed_task_stops_the_co_task_and_the_open_tasks_name_the_rest() -> None:
    v = run(at_department(), summons(), deadline(Stage.co_task, "water", AT + timedelta(days=3)))
    v = fold(v, SummonsTaskCompleted(ticket_id=T, actor=A, summons_id="S-1", department_id="water", note="已关阀抢修"))

    assert v.summons["S-1"]["departments"]["water"]["completed_at"]
    assert [(d, role) for _, d, role in open_tasks(v)] == [("urban", "lead"), ("power", "co")]
    assert fold(v, SummonsTaskCompleted(ticket_id=T, actor=A, summons_id="S-9", department_id="water", note="无此吹哨")) == v


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (S.accepted, TicketResolved(ticket_id=T, actor=A, department_id="urban", note="已办结")),
        (S.accepted, TicketReturned(ticket_id=T, actor=A, department_id="urban", community_id="xinran", reason="非本部门")),
        (S.dispatched, TicketDispatched(
            ticket_id=T, actor=A, community_id="xinran", department_id="water", title="t", description="d", category="c"
        )),
    ],
    ids=lambda x: getattr(x, "type", str(x)),
)
def test_the_summons_ends_when_the_lead_no_longer_holds_the_ticket(status: S, event: Event) -> None:
    v = run(at_department(status), summons(), deadline(Stage.co_task, "water", AT + timedelta(days=3)))
    v = fold(v, event)

    assert not v.summons["S-1"]["open"] and open_tasks(v) == []
    assert not {Stage.check_in, Stage.co_task} & (v.running_stages() | set(v.deadlines))


def test_a_summons_on_a_reopened_ticket_follows_its_dispatch_to_the_lead() -> None:
    reopened = TicketView(status=S.reopened, reopen_count=2, joint_handling=True)
    dispatch = TicketDispatched(
        ticket_id=T, actor=A, community_id="xinran", department_id="urban", title="t", description="d", category="c"
    )
    v = run(reopened, dispatch, summons().model_copy(update={"joint_handling": True}))
    assert v.status == S.dispatched and v.summons["S-1"]["joint_handling"] and v.summons["S-1"]["open"]


def test_two_summonses_keep_their_own_departments_and_the_view_survives_json() -> None:
    v = run(at_department(), summons("S-1", ("water",)), summons("S-2", ("power",)))
    assert set(v.summons) == {"S-1", "S-2"}
    assert TicketView.from_dict(v.to_dict()) == v
