"""The one fold of ticket events (libs/ticket/view.py), walked event type by event type: legal moves, illegal and
out-of-order sequences, warnings and escalations of running stages only, merge, suspension."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import REGISTRY

from libs.events import (
    EVENT_TYPES,
    Actor,
    CallbackAttempted,
    CallbackRequested,
    DeadlineWarned,
    DepartmentsSummoned,
    HazardVerified,
    StageDeadlineSet,
    SummonsCheckedIn,
    SummonsTaskCompleted,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    ResidentContacted,
    TicketAccepted,
    TicketAssignedToCommunity,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketMerged,
    TicketNoteAdded,
    TicketRecategorized,
    TicketRated,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSettledOnSpot,
    TicketSuspended,
)
from libs.statemachine import IllegalTransition
from libs.ticket import Stage
from libs.ticket import TicketStatus as S
from libs.ticket.view import FOLDED_EVENTS, TicketView, apply_event, fold

A = Actor(role="system", id="test")
DUE = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
T = "T20261127-0001"

# One example of every ticket event type.
EXAMPLES: dict[type[Event], Event] = {
    TicketFiled: TicketFiled(ticket_id=T, actor=A, title="路灯不亮", description="3号楼", category="streetlight", community_id="xinran"),
    TicketDispatched: TicketDispatched(
        ticket_id=T, actor=A, community_id="xinran", department_id="urban", title="t", description="d", category="c"
    ),
    TicketSettledOnSpot: TicketSettledOnSpot(ticket_id=T, actor=A, community_id="xinran", note="当场解决"),
    TicketAccepted: TicketAccepted(ticket_id=T, actor=A, department_id="urban"),
    TicketReturned: TicketReturned(ticket_id=T, actor=A, department_id="urban", community_id="xinran", reason="非本部门职责"),
    TicketResolved: TicketResolved(ticket_id=T, actor=A, department_id="urban", note="已修复"),
    TicketRated: TicketRated(ticket_id=T, actor=A, satisfaction="satisfied", solved=True),
    TicketReopened: TicketReopened(ticket_id=T, actor=A, community_id="xinran", reason="未解决"),
    TicketClosed: TicketClosed(ticket_id=T, actor=A),
    TicketEscalated: TicketEscalated(ticket_id=T, actor=A, stage="dispatch", level=1, deadline=DUE),
    DeadlineWarned: DeadlineWarned(ticket_id=T, actor=A, stage="dispatch", deadline=DUE),
    CallbackRequested: CallbackRequested(ticket_id=T, actor=A, community_id="xinran", deadline=DUE),
    CallbackAttempted: CallbackAttempted(ticket_id=T, actor=A, community_id="xinran", reached=False, attempt=1),
    StageDeadlineSet: StageDeadlineSet(ticket_id=T, actor=A, stage="dispatch", deadline=DUE, warn_at=DUE - timedelta(hours=2)),
    ResidentContacted: ResidentContacted(ticket_id=T, actor=A, department_id="urban"),
    ExtensionRequested: ExtensionRequested(ticket_id=T, actor=A, department_id="urban", amount=2, reason="材料未到"),
    ExtensionGranted: ExtensionGranted(ticket_id=T, actor=A, request_event_id=uuid.uuid4(), amount=2),
    ExtensionRefused: ExtensionRefused(ticket_id=T, actor=A, request_event_id=uuid.uuid4()),
    TicketMerged: TicketMerged(ticket_id=T, actor=A, community_id="xinran", merged_into="T20261127-0002"),
    TicketRecategorized: TicketRecategorized(
        ticket_id=T, actor=A, community_id="xinran", category="road", previous_category="other", proposed_department_id="urban"
    ),
    TicketAssignedToCommunity: TicketAssignedToCommunity(
        ticket_id=T, actor=A, community_id="xinran", from_community_id="street:changyang"
    ),
    TicketSuspended: TicketSuspended(ticket_id=T, actor=A, reason="等待法院判决"),
    TicketResumed: TicketResumed(ticket_id=T, actor=A),
    TicketNoteAdded: TicketNoteAdded(ticket_id=T, actor=A, text="内部备注", visibility="internal"),
    # 吹哨报到: folded in tests/unit/test_ticket_fold_summons.py
    DepartmentsSummoned: DepartmentsSummoned(
        ticket_id=T, actor=A, summons_id="S-1", community_id="xinran", lead_department_id="urban",
        co_department_ids=("water",), reason="多部门联合处置", on_site_due=DUE,
    ),
    SummonsCheckedIn: SummonsCheckedIn(ticket_id=T, actor=A, summons_id="S-1", department_id="water"),
    SummonsTaskCompleted: SummonsTaskCompleted(ticket_id=T, actor=A, summons_id="S-1", department_id="water", note="已关阀"),
    HazardVerified: HazardVerified(ticket_id=T, actor=A, community_id="C-1", note="属实"),  # 隐患随手拍 confirmed
}


def test_the_table_has_an_example_of_every_ticket_event_type():
    ticket_events = {cls for cls in EVENT_TYPES.values() if issubclass(cls, Event)}
    assert set(EXAMPLES) == ticket_events
    assert FOLDED_EVENTS <= ticket_events


def ev(cls: type[Event], **changes) -> Event:
    return EXAMPLES[cls].model_copy(update=changes)


def view(status: S, **fields) -> TicketView:
    return TicketView(status=status, **fields)


# (status before, event, status after) for every legal status move the events make.
LEGAL_MOVES = [
    (S.filed, TicketDispatched, S.dispatched),
    (S.dispatched, TicketDispatched, S.dispatched),  # 改派 before signing
    (S.returned, TicketDispatched, S.dispatched),
    (S.reopened, TicketDispatched, S.dispatched),
    (S.filed, TicketSettledOnSpot, S.settled_on_spot),
    (S.returned, TicketSettledOnSpot, S.settled_on_spot),
    (S.reopened, TicketSettledOnSpot, S.settled_on_spot),
    (S.dispatched, TicketAccepted, S.accepted),
    (S.dispatched, TicketReturned, S.returned),
    (S.accepted, TicketReturned, S.returned),
    (S.accepted, TicketResolved, S.resolved),
    (S.resolved, TicketReopened, S.reopened),
    (S.settled_on_spot, TicketReopened, S.reopened),
    (S.resolved, TicketClosed, S.closed),
    (S.settled_on_spot, TicketClosed, S.closed),
    (S.returned, TicketClosed, S.closed),
    (S.filed, TicketClosed, S.closed),
    (S.filed, TicketMerged, S.merged),
    (S.merged, TicketClosed, S.merged),  # a merged duplicate stays merged: its people follow the other ticket
    (S.resolved, CallbackRequested, S.callback),  # 回访: nobody rated in time
    (S.settled_on_spot, CallbackRequested, S.callback),
    (S.callback, TicketClosed, S.closed),  # rated on the call, late by the resident, or unreachable
    (S.callback, TicketReopened, S.reopened),  # an unsatisfied answer
]


@pytest.mark.parametrize(("before", "event_class", "after"), LEGAL_MOVES, ids=lambda x: getattr(x, "__name__", str(x)))
def test_every_legal_move(before, event_class, after):
    assert fold(view(before), ev(event_class)).status == after


# (status, event) pairs the lifecycle forbids: out of order, after the end, or twice.
ILLEGAL_MOVES = [
    (S.filed, TicketAccepted),  # signed before it was dispatched
    (S.filed, TicketResolved),
    (S.dispatched, TicketResolved),  # resolved before signing
    (S.accepted, TicketAccepted),  # signed twice
    (S.accepted, TicketDispatched),  # dispatched away from a department that signed
    (S.resolved, TicketReturned),
    (S.closed, TicketDispatched),
    (S.closed, TicketReopened),
    (S.merged, TicketDispatched),  # a merged duplicate never comes back to life
    (S.merged, TicketAccepted),
    (S.dispatched, TicketMerged),
    (S.dispatched, TicketReopened),
]


@pytest.mark.parametrize(("before", "event_class"), ILLEGAL_MOVES, ids=lambda x: getattr(x, "__name__", str(x)))
def test_an_illegal_move_is_refused_by_fold(before, event_class):
    with pytest.raises(IllegalTransition, match=f"ticket is {before.value}; it cannot become"):
        fold(view(before), ev(event_class))


def _refused(service: str, event_type: str, status: str) -> float:
    return REGISTRY.get_sample_value(
        "whistle_ticket_moves_refused_total", {"service": service, "type": event_type, "status": status}
    ) or 0.0


@pytest.mark.parametrize(("before", "event_class"), ILLEGAL_MOVES, ids=lambda x: getattr(x, "__name__", str(x)))
def test_a_consumer_keeps_the_view_and_counts_an_illegal_move(before, event_class):
    start = view(before, escalations={"dispatch": 2})
    counted = _refused("unit", event_class.__name__, before.value)
    assert apply_event(start, ev(event_class), service="unit") == start
    assert _refused("unit", event_class.__name__, before.value) == counted + 1


@pytest.mark.parametrize("event_class", [TicketRated, ExtensionRequested, ExtensionRefused])
def test_events_that_change_no_view_leave_it_as_it_is(event_class):
    start = view(S.accepted, warnings={"resolve": "r"}, escalations={"resolve": 1})
    assert fold(start, ev(event_class)) == start


def test_a_new_ticket_starts_filed_and_a_redelivered_filing_changes_nothing():
    filed = fold(None, ev(TicketFiled))
    assert filed == TicketView()
    later = view(S.accepted, department_id="urban")
    assert fold(later, ev(TicketFiled)) == later


def test_a_whole_life_with_a_return_and_a_reopen():
    v = fold(None, ev(TicketFiled))
    for cls, status in [
        (TicketDispatched, S.dispatched),
        (TicketReturned, S.returned),
        (TicketDispatched, S.dispatched),
        (TicketAccepted, S.accepted),
        (ResidentContacted, S.accepted),
        (TicketResolved, S.resolved),
        (TicketRated, S.resolved),
        (TicketReopened, S.reopened),
        (TicketSettledOnSpot, S.settled_on_spot),
        (TicketClosed, S.closed),
    ]:
        v = fold(v, ev(cls))
        assert v.status == status, cls.__name__
    assert (v.return_count, v.reopen_count, v.department_id) == (1, 1, "urban")


# --- warnings (催办) and escalations (督办): only for stages that are running --------------------------------


@pytest.mark.parametrize(
    ("status", "running"),
    [
        (S.filed, {Stage.dispatch, Stage.joint_handling}),
        (S.returned, {Stage.dispatch, Stage.joint_handling}),
        (S.reopened, {Stage.dispatch, Stage.joint_handling}),
        (S.dispatched, {Stage.accept, Stage.resolve}),
        (S.accepted, {Stage.contact, Stage.resolve}),
        (S.resolved, {Stage.rating}),
        (S.settled_on_spot, {Stage.rating}),
        (S.closed, set()),
        (S.merged, set()),
    ],
)
def test_running_stages_follow_the_status(status, running):
    assert view(status).running_stages() == running


def test_contact_stops_running_once_the_resident_was_contacted():
    assert Stage.contact not in fold(view(S.accepted), ev(ResidentContacted)).running_stages()


def test_a_warning_stands_until_its_stage_ends():
    v = fold(view(S.dispatched), ev(DeadlineWarned, stage="accept"))
    assert v.warnings == {"accept": DUE.isoformat()}
    v = fold(v, ev(DeadlineWarned, stage="resolve"))
    v = fold(v, ev(TicketAccepted))
    assert v.warnings == {"resolve": DUE.isoformat()}


def test_deadlines_stand_for_running_stages_and_move_when_set_again():
    later = DUE + timedelta(days=3)
    v = fold(view(S.dispatched), ev(StageDeadlineSet, stage="accept", deadline=DUE, warn_at=None))
    v = fold(v, ev(StageDeadlineSet, stage="resolve", deadline=later, warn_at=later - timedelta(days=1)))
    assert v.deadlines == {
        "accept": {"due": DUE.isoformat(), "warn_at": None},
        "resolve": {"due": later.isoformat(), "warn_at": (later - timedelta(days=1)).isoformat()},
    }
    assert v.next_due == DUE.isoformat()
    v = fold(v, ev(TicketAccepted))  # the accept stage ended: its deadline goes, the resolution's stays
    assert set(v.deadlines) == {"resolve"} and v.next_due == later.isoformat()
    v = fold(v, ev(ExtensionGranted))  # the deadline only moves: it stands until the workflow sets the new one
    assert set(v.deadlines) == {"resolve"}
    v = fold(v, ev(StageDeadlineSet, stage="resolve", deadline=later + timedelta(days=2)))
    assert v.next_due == (later + timedelta(days=2)).isoformat()
    assert fold(v, ev(TicketResolved)).deadlines == {}
    assert TicketView.from_dict(v.to_dict()) == v


def test_a_deadline_set_for_a_stage_that_has_ended_is_dropped():
    v = fold(view(S.filed), ev(TicketDispatched))
    assert fold(v, ev(StageDeadlineSet, stage="dispatch")).deadlines == {}


def test_a_late_warning_for_a_finished_stage_is_dropped():
    """Out of order: the workflow's 催办 for the dispatch stage arrives after the ticket was dispatched."""
    v = fold(view(S.filed), ev(TicketDispatched))
    assert fold(v, ev(DeadlineWarned, stage="dispatch")).warnings == {}
    assert fold(v, ev(TicketEscalated, stage="dispatch", level=1)).escalations == {}


def test_the_ladder_only_climbs():
    v = view(S.filed)
    v = fold(v, ev(TicketEscalated, level=2))
    v = fold(v, ev(TicketEscalated, level=1))  # a redelivered lower level
    assert (v.escalation_level, v.escalation_stage) == (2, Stage.dispatch)


def test_the_furthest_escalated_stage_is_the_tickets_escalation():
    v = view(S.accepted)
    v = fold(v, ev(TicketEscalated, stage="contact", level=1))
    v = fold(v, ev(TicketEscalated, stage="resolve", level=2))
    assert (v.escalation_level, v.escalation_stage) == (2, Stage.resolve)
    v = fold(v, ev(ResidentContacted))
    assert v.escalations == {"resolve": 2}


def test_signing_ends_the_acceptance_escalation_but_not_the_resolution_one():
    v = view(S.dispatched, escalations={"accept": 1, "resolve": 1}, warnings={"accept": "a", "resolve": "r"})
    v = fold(v, ev(TicketAccepted))
    assert v.escalations == {"resolve": 1} and v.warnings == {"resolve": "r"}


def test_a_granted_extension_ends_the_resolution_warning_and_escalation():
    v = view(S.accepted, escalations={"resolve": 2}, warnings={"resolve": "r", "contact": "c"})
    v = fold(v, ev(ExtensionGranted))
    assert v.escalations == {} and v.warnings == {"contact": "c"}


def test_a_return_ends_the_departments_stages_and_the_community_clock_runs_again():
    v = view(S.accepted, escalations={"resolve": 1, "contact": 1}, warnings={"resolve": "r"})
    v = fold(v, ev(TicketReturned))
    assert v.escalations == {} and v.warnings == {}
    assert fold(v, ev(TicketEscalated, stage="dispatch", level=1)).escalation_level == 1


@pytest.mark.parametrize("event_class", [TicketDispatched, TicketSettledOnSpot, TicketMerged, TicketClosed])
def test_events_that_end_every_stage_clear_every_warning_and_escalation(event_class):
    v = view(S.filed, escalations={"dispatch": 3}, warnings={"dispatch": "d"})
    after = fold(v, ev(event_class))
    assert after.escalations == {} and after.warnings == {} and after.escalation_level == 0


def test_joint_handling_escalates_a_reopened_ticket():
    v = fold(view(S.resolved, reopen_count=1), ev(TicketReopened, reopen_count=2, joint_handling=True))
    assert v.joint_handling and v.reopen_count == 2
    v = fold(v, ev(TicketEscalated, stage="joint_handling", level=2))
    assert (v.escalation_level, v.escalation_stage) == (2, Stage.joint_handling)


def test_merge_records_the_ticket_it_joined_and_nothing_revives_it():
    v = fold(view(S.filed), ev(TicketMerged))
    assert v.merged_into == "T20261127-0002"
    v = apply_event(v, ev(TicketDispatched), service="unit")
    v = fold(v, ev(TicketClosed))
    assert v.status == S.merged


def test_suspension_and_resumption():
    v = fold(view(S.accepted), ev(TicketSuspended))
    assert v.suspended
    assert not fold(v, ev(TicketResumed)).suspended


def test_the_view_survives_a_round_trip_through_json():
    v = view(S.accepted, department_id="urban", warnings={"resolve": "r"}, escalations={"contact": 1}, contacted=False, return_count=1)
    assert TicketView.from_dict(v.to_dict()) == v
