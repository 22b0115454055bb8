"""Kafka → Temporal: TicketFiled starts a TicketWorkflow, every timer-changing ticket event becomes a signal.

The handlers run in an EventConsumer with no database, so each is idempotent on its own: a workflow id equals
the ticket id (a second start is refused), and the workflow ignores a signal whose event id it has seen.
The SLA policy and calendar a new ticket lives by come from `SlaSource`, kept current from the `config` topic.
Temporal being down is an outage, not poison: `is_transient` makes the consumer wait it out (never dead-letter).
`halted_for_tests` is a test-only fault point (WHISTLE_TEST_BRIDGE_HALT), a no-op unless that variable is set.
"""
from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from libs.events import (
    CalendarAdjusted,
    DepartmentsSummoned,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    ResidentContacted,
    SlaPolicyPublished,
    SummonsCheckedIn,
    SummonsTaskCompleted,
    TicketAccepted,
    TicketAssignedToCommunity,
    TicketClosed,
    TicketDispatched,
    TicketFiled,
    TicketMerged,
    TicketRecategorized,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketSettledOnSpot,
    TicketSuspended,
)
from libs.messaging import Handlers, is_infrastructure_error
from libs.messaging.config_topic import start_following
from libs.observability import get_logger
from libs.sla.calendar import WorkCalendar, load_calendar
from libs.sla.policy import PolicyError, SlaPolicy, load_policy
from workflows.ticket_lifecycle.shared import TicketEventSignal, TicketWorkflowInput
from workflows.ticket_lifecycle.workflows import TicketWorkflow

log = get_logger(__name__)

CONSUMER_GROUP = "workflows"

# Temporal answers these while it is down, overloaded or restarting: retrying later cures them.
TEMPORAL_UNAVAILABLE = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED})


def is_transient(exc: BaseException) -> bool:
    """An outage the bridge's consumer waits out: Kafka, network (libs.messaging) or Temporal unavailable."""
    if isinstance(exc, RPCError):
        return exc.status in TEMPORAL_UNAVAILABLE
    # A lazily connected client that has not reached the server yet raises this instead of an RPCError.
    if isinstance(exc, RuntimeError) and str(exc).startswith("Failed client connect"):
        return True
    return is_infrastructure_error(exc)


# --------------------------------------------------------------------------- ticket event -> signal, per event class


def _signal(event: Event, **fields: Any) -> TicketEventSignal:
    return TicketEventSignal(event_id=str(event.event_id), type=event.type, occurred_at=event.occurred_at.isoformat(), **fields)


def _routed(event: TicketDispatched | TicketReturned) -> TicketEventSignal:
    return _signal(event, department_id=event.department_id, community_id=event.community_id)


def _at_department(event: TicketAccepted | ResidentContacted | TicketResolved) -> TicketEventSignal:
    return _signal(event, department_id=event.department_id)


def _in_community(event: TicketSettledOnSpot | TicketMerged | TicketAssignedToCommunity) -> TicketEventSignal:
    return _signal(event, community_id=event.community_id)


def _extension_requested(event: ExtensionRequested) -> TicketEventSignal:
    return _signal(event, department_id=event.department_id, amount=event.amount, unit=event.unit)


def _extension_granted(event: ExtensionGranted) -> TicketEventSignal:
    return _signal(event, amount=event.amount, unit=event.unit)


def _reopened(event: TicketReopened) -> TicketEventSignal:
    return _signal(event, community_id=event.community_id, reopen_count=event.reopen_count, joint_handling=event.joint_handling)


def _summoned(event: DepartmentsSummoned) -> TicketEventSignal:
    return _signal(
        event, community_id=event.community_id, summons_id=event.summons_id, departments=list(event.department_ids),
        due=event.on_site_due.isoformat(),
    )


def _summons_task(event: SummonsCheckedIn | SummonsTaskCompleted) -> TicketEventSignal:
    return _signal(event, summons_id=event.summons_id, department_id=event.department_id)


def _recategorized(event: TicketRecategorized, policy: SlaPolicy) -> TicketEventSignal:
    """分类调整: the new category and what the current policy gives it for each urgency (the workflow picks its own)."""
    return _signal(event, community_id=event.community_id, category=event.category,
                   slas={urgency: policy.for_ticket(urgency, event.category).to_dict() for urgency in policy.urgencies})


# The ticket events that start, stop or move a timer (TicketWorkflow.ON_EVENT has one method per type); rated,
# escalated and warned do not. Each builder copies exactly the fields the workflow reads.
SIGNALS: dict[type[Event], Callable[[Any], TicketEventSignal]] = {
    TicketDispatched: _routed,
    TicketAssignedToCommunity: _in_community,
    TicketAccepted: _at_department,
    ResidentContacted: _at_department,
    TicketReturned: _routed,
    ExtensionRequested: _extension_requested,
    ExtensionGranted: _extension_granted,
    ExtensionRefused: _signal,
    TicketResolved: _at_department,
    TicketSettledOnSpot: _in_community,
    TicketReopened: _reopened,
    TicketClosed: _signal,
    TicketMerged: _in_community,
    TicketSuspended: _signal,
    TicketResumed: _signal,
    DepartmentsSummoned: _summoned,  # 吹哨报到: a check-in timer per department, a task timer per co-department
    SummonsCheckedIn: _summons_task,
    SummonsTaskCompleted: _summons_task,
}
# ...and those whose signal also carries what the current SLA policy says (it lives in the bridge, not the event).
POLICY_SIGNALS: dict[type[Event], Callable[[Any, SlaPolicy], TicketEventSignal]] = {TicketRecategorized: _recategorized}


class SlaSource:
    """The current SLA policy and calendar: the repo's files, then every admin change from the `config` topic."""

    def __init__(self, policy: SlaPolicy | None = None, calendar: WorkCalendar | None = None) -> None:
        self.policy = policy or load_policy()
        self.calendar = calendar or load_calendar()
        self._calendar_overrides: dict[str, list[str]] = {}

    def apply(self, event: object) -> None:
        if isinstance(event, SlaPolicyPublished):
            try:
                policy = SlaPolicy.parse(event.document)
            except PolicyError as exc:  # the admin API validated it; a bad one on the topic is logged, not applied
                log.error("sla_policy_rejected", error=str(exc))
                return
            if policy.version >= self.policy.version:
                self.policy = policy
                log.info("sla_policy_applied", policy_version=policy.version)
        elif isinstance(event, CalendarAdjusted):
            self._calendar_overrides = {"holidays": list(event.holidays), "workdays": list(event.workdays), "remove": list(event.remove)}
            self.calendar = load_calendar(extra=self._calendar_overrides)
            log.info("calendar_adjusted", **{k: len(v) for k, v in self._calendar_overrides.items()})

    async def start_following(self, bootstrap: str, stop: asyncio.Event) -> asyncio.Task[None]:
        """Follow the config topic (every worker reads all of it); returns once caught up, at most 30 s: new tickets
        should get the admin's latest policy."""
        return await start_following(bootstrap, self.apply, stop, name="workflows-config", catch_up_seconds=30)


class TicketBridge:
    """Turns ticket events into workflow starts and signals on one Temporal client and task queue."""

    def __init__(self, client: Client, *, task_queue: str, sla: SlaSource | None = None) -> None:
        self.client = client
        self.task_queue = task_queue
        self.sla = sla or SlaSource()

    def handlers(self) -> Handlers:
        """Event class → handler for EventConsumer; TicketEscalated, DeadlineWarned, TicketRated change no timer."""
        return {TicketFiled: self.start_ticket_workflow} | dict.fromkeys([*SIGNALS, *POLICY_SIGNALS], self.signal_ticket_workflow)

    def workflow_input(self, event: TicketFiled) -> TicketWorkflowInput:
        return TicketWorkflowInput(
            ticket_id=event.ticket_id,
            community_id=event.community_id,
            urgency=event.urgency,
            category=event.category,
            filed_at=event.occurred_at.isoformat(),
            sla=self.sla.policy.for_ticket(event.urgency, event.category).to_dict(),
            calendar=self.sla.calendar.to_dict(),
        )

    async def start_ticket_workflow(self, event: TicketFiled) -> None:
        """A ticket's deadlines start; a 微心愿 (kind wish) has none: the wishes service and its claim timer own it."""
        if event.kind == "wish":
            log.info("wish_has_no_ticket_workflow")
            return
        try:
            await self.client.start_workflow(
                TicketWorkflow.run,
                self.workflow_input(event),
                id=event.ticket_id,
                task_queue=self.task_queue,
                # A redelivered TicketFiled must not restart the workflow of a ticket that is already closed.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            log.info("ticket_workflow_started", policy_version=self.sla.policy.version)
        except WorkflowAlreadyStartedError:
            log.info("ticket_workflow_already_started")

    async def signal_ticket_workflow(self, event: Event) -> None:
        """Signal one of the SIGNALS (or POLICY_SIGNALS) event classes to its ticket's workflow."""
        builder = SIGNALS.get(type(event))
        signal = builder(event) if builder else POLICY_SIGNALS[type(event)](event, self.sla.policy)
        try:
            await self.client.get_workflow_handle(event.ticket_id).signal(TicketWorkflow.ticket_event, signal)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # No workflow (filed before the bridge existed) or already completed: nothing left to time.
            log.warning("ticket_workflow_not_running", error=exc.message)


# --------------------------------------------------------------------------- test-only fault point

HALT_ENV = "WHISTLE_TEST_BRIDGE_HALT"


def halted_for_tests(handlers: Handlers, setting: str | None = None) -> Handlers:
    """TEST ONLY (tests/integration/test_bridge_kill.py). WHISTLE_TEST_BRIDGE_HALT="before:TicketAccepted" (or
    "after:<event class>") halts the bridge for good on the first event of that class, just before (or just after)
    its handler signals Temporal: consumed, offset not committed. It logs `bridge_halted_for_test` so that a test can
    SIGKILL the worker at exactly that point. Unset (always, outside those tests): the handlers, unchanged; ignored
    when WHISTLE_ENV=production."""
    setting = os.environ.get(HALT_ENV, "") if setting is None else setting
    if not setting:
        return handlers
    if os.environ.get("WHISTLE_ENV") == "production":
        log.error("test_halt_ignored_in_production", setting=setting)
        return handlers
    when, _, name = setting.partition(":")
    event_class = next((cls for cls in handlers if cls.__name__ == name), None)
    if when not in ("before", "after") or event_class is None:
        raise ValueError(f"{HALT_ENV}={setting!r}: expected before:<event class> or after:<event class> of a handled event")
    handler = handlers[event_class]

    async def halting(event: Event) -> None:
        if when == "after":
            await handler(event)
        log.warning("bridge_halted_for_test", when=when, event_type=event.type, halted_event_id=str(event.event_id))
        await asyncio.Event().wait()  # never set: the record stays in hand, uncommitted, until the process is killed

    return {**handlers, event_class: halting}
