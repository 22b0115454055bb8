"""The Kafka→Temporal bridge without servers: which event class becomes which signal, and which failures are an
outage the consumer waits out rather than poison for the dead-letter topic."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from temporalio.service import RPCError, RPCStatusCode

from libs.events import (
    Actor,
    DeadlineWarned,
    DepartmentsSummoned,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    ResidentContacted,
    SummonsCheckedIn,
    SummonsTaskCompleted,
    TicketAccepted,
    TicketAssignedToCommunity,
    TicketClosed,
    TicketDispatched,
    TicketEscalated,
    TicketFiled,
    TicketMerged,
    TicketRated,
    TicketRecategorized,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSettledOnSpot,
    TicketSuspended,
)
from libs.sla.calendar import load_calendar
from libs.sla.policy import load_policy
from workflows.ticket_lifecycle.bridge import POLICY_SIGNALS, SIGNALS, SlaSource, TicketBridge, is_transient
from workflows.ticket_lifecycle.shared import TicketEventSignal
from workflows.ticket_lifecycle.workflows import TicketWorkflow

AT = datetime(2026, 5, 8, 2, 0, tzinfo=timezone.utc)
STAFF = Actor(role="community_staff", id="staff-1")
DEPT = Actor(role="department_staff", id="dept-1")
REQUEST = uuid.uuid4()


@dataclass
class FakeHandle:
    client: FakeClient
    workflow_id: str

    async def signal(self, signal, arg) -> None:  # noqa: ANN001
        if self.client.error is not None:
            raise self.client.error
        self.client.signals.append((self.workflow_id, signal, arg))


@dataclass
class FakeClient:
    signals: list[tuple[str, object, TicketEventSignal]] = field(default_factory=list)
    error: BaseException | None = None
    started: list[str] = field(default_factory=list)

    def get_workflow_handle(self, workflow_id: str) -> FakeHandle:
        return FakeHandle(self, workflow_id)

    async def start_workflow(self, run, arg, *, id: str, **options) -> None:  # noqa: ANN001, A002
        self.started.append(id)


def bridge(client: FakeClient) -> TicketBridge:
    return TicketBridge(client, task_queue="unused", sla=SlaSource(load_policy(), load_calendar()))  # type: ignore[arg-type]


def rpc_error(status: RPCStatusCode) -> RPCError:
    return RPCError(status.name, status, b"")


EVENTS_AND_FIELDS = [
    (
        TicketDispatched(
            ticket_id="T-1", actor=STAFF, community_id="C-1", department_id="D-1", title="t", description="d", category="roads"
        ),
        {"department_id": "D-1", "community_id": "C-1"},
    ),
    (TicketAccepted(ticket_id="T-1", actor=DEPT, department_id="D-1"), {"department_id": "D-1"}),
    (ResidentContacted(ticket_id="T-1", actor=DEPT, department_id="D-1"), {"department_id": "D-1"}),
    (TicketReturned(ticket_id="T-1", actor=DEPT, department_id="D-1", community_id="C-1", reason="r"), {"department_id": "D-1", "community_id": "C-1"}),
    (
        ExtensionRequested(ticket_id="T-1", actor=DEPT, department_id="D-1", amount=2, unit="working_hours", reason="r"),
        {"department_id": "D-1", "amount": 2.0, "unit": "working_hours"},
    ),
    (ExtensionGranted(ticket_id="T-1", actor=STAFF, request_event_id=REQUEST, amount=1.5, unit="days"), {"amount": 1.5, "unit": "days"}),
    (ExtensionRefused(ticket_id="T-1", actor=STAFF, request_event_id=REQUEST), {}),
    (TicketResolved(ticket_id="T-1", actor=DEPT, department_id="D-1", note="n"), {"department_id": "D-1"}),
    (TicketSettledOnSpot(ticket_id="T-1", actor=STAFF, community_id="C-1", note="n"), {"community_id": "C-1"}),
    (
        TicketReopened(ticket_id="T-1", actor=STAFF, community_id="C-1", reason="r", reopen_count=2, joint_handling=True),
        {"community_id": "C-1", "reopen_count": 2, "joint_handling": True},
    ),
    (TicketClosed(ticket_id="T-1", actor=STAFF), {}),
    (TicketMerged(ticket_id="T-1", actor=STAFF, community_id="C-1", merged_into="T-0"), {"community_id": "C-1"}),
    (
        TicketAssignedToCommunity(ticket_id="T-1", actor=STAFF, community_id="C-2", from_community_id="street:s"),
        {"community_id": "C-2"},
    ),
    (TicketSuspended(ticket_id="T-1", actor=STAFF, reason="r"), {}),
    (TicketResumed(ticket_id="T-1", actor=STAFF), {}),
    (
        DepartmentsSummoned(
            ticket_id="T-1", actor=STAFF, summons_id="S-1", community_id="C-1", lead_department_id="D-1",
            co_department_ids=("D-2", "D-3"), latitude=39.9, longitude=116.4, address="3号楼", reason="联合处置",
            on_site_due=AT.replace(minute=30),
        ),
        {"community_id": "C-1", "summons_id": "S-1", "departments": ["D-1", "D-2", "D-3"], "due": AT.replace(minute=30).isoformat()},
    ),
    (
        SummonsCheckedIn(ticket_id="T-1", actor=DEPT, summons_id="S-1", department_id="D-2", latitude=39.9, longitude=116.4, distance_m=12.0),
        {"summons_id": "S-1", "department_id": "D-2"},
    ),
    (SummonsTaskCompleted(ticket_id="T-1", actor=DEPT, summons_id="S-1", department_id="D-2", note="已完成"), {"summons_id": "S-1", "department_id": "D-2"}),
]


def test_every_signalled_event_class_has_a_workflow_method_and_the_other_way_round() -> None:
    assert {cls.model_fields["type"].default for cls in [*SIGNALS, *POLICY_SIGNALS]} == set(TicketWorkflow.ON_EVENT)
    assert {type(event) for event, _ in EVENTS_AND_FIELDS} == set(SIGNALS)


async def test_a_recategorization_carries_the_new_category_and_its_sla_for_every_urgency_from_the_current_policy() -> None:
    """分类调整 to 供暖: the current policy's 24-hour resolve clock for heating, except for an emergency (its own)."""
    client = FakeClient()
    b = bridge(client)
    event = TicketRecategorized(ticket_id="T-1", actor=STAFF, community_id="C-1", category="heating", previous_category="road")
    await b.signal_ticket_workflow(event.model_copy(update={"occurred_at": AT}))

    ((workflow_id, _, signal),) = client.signals
    assert (workflow_id, signal.type, signal.category, signal.community_id) == ("T-1", "TicketRecategorized", "heating", "C-1")
    assert set(signal.slas) == set(b.sla.policy.urgencies)
    assert signal.slas["ordinary"] == b.sla.policy.for_ticket("ordinary", "heating").to_dict()
    assert signal.slas["ordinary"]["stages"]["resolve"] == {"amount": 24, "unit": "clock_hours"}
    assert signal.slas["emergency"]["stages"]["resolve"] == {"amount": 2, "unit": "clock_hours"}
    assert b.handlers()[TicketRecategorized] == b.signal_ticket_workflow


@pytest.mark.parametrize(("event", "fields"), EVENTS_AND_FIELDS, ids=[type(event).__name__ for event, _ in EVENTS_AND_FIELDS])
async def test_each_event_class_becomes_a_signal_with_exactly_the_fields_the_workflow_reads(event, fields: dict) -> None:  # noqa: ANN001
    client = FakeClient()
    event = event.model_copy(update={"occurred_at": AT})

    await bridge(client).signal_ticket_workflow(event)

    ((workflow_id, _, signal),) = client.signals
    expected = TicketEventSignal(event_id=str(event.event_id), type=event.type, occurred_at=AT.isoformat(), **fields)
    assert (workflow_id, signal) == ("T-1", expected)


def test_the_consumer_gets_a_handler_per_event_class_and_none_for_events_that_move_no_timer() -> None:
    b = bridge(FakeClient())
    handlers = b.handlers()

    assert handlers[TicketFiled] == b.start_ticket_workflow
    assert all(handlers[cls] == b.signal_ticket_workflow for cls in SIGNALS)
    assert not {TicketRated, TicketEscalated, DeadlineWarned} & set(handlers)


async def test_a_wish_starts_no_ticket_workflow_and_a_problem_or_hazard_does() -> None:
    """A 微心愿 is the wishes service's (its claim timer is WishClaimWorkflow): no ticket deadlines run for it."""
    client = FakeClient()
    filed = {"actor": STAFF, "title": "t", "description": "d", "category": "other", "community_id": "C-1"}
    for ticket_id, kind in (("T-wish", "wish"), ("T-problem", "problem"), ("T-hazard", "hazard")):
        await bridge(client).start_ticket_workflow(TicketFiled(ticket_id=ticket_id, kind=kind, **filed))
    assert client.started == ["T-problem", "T-hazard"]


async def test_a_ticket_without_a_running_workflow_is_skipped_and_an_unavailable_temporal_is_raised() -> None:
    resumed = TicketResumed(ticket_id="T-1", actor=STAFF)
    await bridge(FakeClient(error=rpc_error(RPCStatusCode.NOT_FOUND))).signal_ticket_workflow(resumed)  # no error

    with pytest.raises(RPCError) as raised:
        await bridge(FakeClient(error=rpc_error(RPCStatusCode.UNAVAILABLE))).signal_ticket_workflow(resumed)
    assert is_transient(raised.value)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (rpc_error(RPCStatusCode.UNAVAILABLE), True),  # server down or restarting
        (rpc_error(RPCStatusCode.DEADLINE_EXCEEDED), True),
        (rpc_error(RPCStatusCode.RESOURCE_EXHAUSTED), True),  # rate limited
        (rpc_error(RPCStatusCode.INVALID_ARGUMENT), False),  # the event's fault: dead-letter it
        (rpc_error(RPCStatusCode.PERMISSION_DENIED), False),
        (RuntimeError("Failed client connect: Server connection error: tcp connect error"), True),  # lazy client
        (ConnectionRefusedError(111, "Connection refused"), True),  # libs.messaging's infrastructure errors
        (TimeoutError(), True),
        (RuntimeError("something else"), False),
        (ValueError("bad event"), False),
    ],
)
def test_temporal_being_unavailable_is_an_outage_to_wait_out_not_poison(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
