"""TicketWorkflow: follows one ticket's stages from its signals and escalates when dispatch is overdue.

Deterministic by construction: no I/O here, time only from `workflow.now()`, the Kafka publish in an activity.
The full SLA policy (working hours, per-stage deadlines, warnings) replaces the placeholder dispatch timer later.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.ticket_lifecycle.shared import (
    AWAITING_DISPATCH,
    CLOSED,
    MAX_ESCALATION_LEVEL,
    STAGE_AFTER_EVENT,
    EscalationRequest,
    TicketEventSignal,
    TicketWorkflowInput,
)

with workflow.unsafe.imports_passed_through():
    from workflows.ticket_lifecycle.activities import TicketActivities

# Enough for any real ticket's life (a dozen events, a few return/reopen loops); keeps the carried state small.
MAX_SEEN_EVENT_IDS = 200

PUBLISH_TIMEOUT = timedelta(seconds=30)
PUBLISH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@workflow.defn
class TicketWorkflow:
    """One per ticket (workflow id = ticket id); started by TicketFiled, moved by `ticket_event` signals."""

    @workflow.init
    def __init__(self, input: TicketWorkflowInput) -> None:
        # State lives on the instance from the start so signals delivered with the first task are not lost.
        self._input = input
        self._stage = input.stage
        self._stage_entered_at = datetime.fromisoformat(input.stage_entered_at or input.filed_at)
        self._department_id = input.department_id
        self._seen_event_ids = list(input.seen_event_ids)
        self._seen = set(self._seen_event_ids)
        self._escalation_level = input.escalation_level
        self._escalations_total = input.escalations_total
        self._dispatch_cycle = input.dispatch_cycle
        self._stage_moves = 0
        self._closed_at: str | None = None

    @workflow.run
    async def run(self, input: TicketWorkflowInput) -> dict[str, Any]:
        while self._stage != CLOSED:
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._carried_state())
            moves = self._stage_moves
            deadline = self._next_escalation_deadline()
            if deadline is None:
                await workflow.wait_condition(lambda: self._woken(moves))
                continue
            remaining = (deadline - workflow.now()).total_seconds()
            if remaining > 0:
                try:
                    await workflow.wait_condition(
                        lambda: self._woken(moves), timeout=remaining, timeout_summary="dispatch_deadline"
                    )
                    continue
                except asyncio.TimeoutError:
                    pass
            await self._escalate(deadline)
        return self._summary()

    @workflow.signal(name="ticket_event")
    def ticket_event(self, event: TicketEventSignal) -> None:
        """Apply a ticket event once; redelivered events (same event id) and events after closing are ignored."""
        if event.event_id in self._seen or self._stage == CLOSED:
            return
        stage = STAGE_AFTER_EVENT.get(event.type)
        if stage is None:
            workflow.logger.warning("ignoring ticket event %s: it changes no stage", event.type)
            return
        self._remember(event.event_id)
        if event.department_id:
            self._department_id = event.department_id
        if stage == CLOSED:
            self._closed_at = event.occurred_at
        if stage != self._stage:
            if stage == AWAITING_DISPATCH:
                self._dispatch_cycle += 1
            self._stage = stage
            self._stage_entered_at = datetime.fromisoformat(event.occurred_at)
            self._escalation_level = 0
            self._stage_moves += 1

    @workflow.query(name="state")
    def state(self) -> dict[str, Any]:
        return {
            "ticket_id": self._input.ticket_id,
            "stage": self._stage,
            "seen_events": len(self._seen_event_ids),
            "escalation_level": self._escalation_level,
            "escalations_total": self._escalations_total,
            "department_id": self._department_id,
        }

    def _woken(self, moves: int) -> bool:
        return self._stage_moves != moves or workflow.info().is_continue_as_new_suggested()

    def _next_escalation_deadline(self) -> datetime | None:
        """Level n is due n timeouts after the ticket entered awaiting_dispatch; none above level 3."""
        if self._stage != AWAITING_DISPATCH or self._escalation_level >= MAX_ESCALATION_LEVEL:
            return None
        timeout = timedelta(seconds=self._input.dispatch_timeout_seconds)
        return self._stage_entered_at + timeout * (self._escalation_level + 1)

    async def _escalate(self, deadline: datetime) -> None:
        # Level is taken before the activity runs: a stage move meanwhile resets it and must not be overwritten.
        self._escalation_level += 1
        self._escalations_total += 1
        await workflow.execute_activity_method(
            TicketActivities.publish_escalation,
            EscalationRequest(
                ticket_id=self._input.ticket_id,
                stage="dispatch",
                level=self._escalation_level,
                cycle=self._dispatch_cycle,
                deadline=deadline.isoformat(),
                community_id=self._input.community_id,
                department_id=self._department_id,
            ),
            start_to_close_timeout=PUBLISH_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
        )

    def _remember(self, event_id: str) -> None:
        self._seen_event_ids.append(event_id)
        self._seen.add(event_id)
        if len(self._seen_event_ids) > MAX_SEEN_EVENT_IDS:
            self._seen.discard(self._seen_event_ids.pop(0))

    def _carried_state(self) -> TicketWorkflowInput:
        return replace(
            self._input,
            stage=self._stage,
            stage_entered_at=self._stage_entered_at.isoformat(),
            department_id=self._department_id,
            seen_event_ids=list(self._seen_event_ids),
            escalation_level=self._escalation_level,
            escalations_total=self._escalations_total,
            dispatch_cycle=self._dispatch_cycle,
        )

    def _summary(self) -> dict[str, Any]:
        return {
            "ticket_id": self._input.ticket_id,
            "community_id": self._input.community_id,
            "department_id": self._department_id,
            "category": self._input.category,
            "urgency": self._input.urgency,
            "stage": self._stage,
            "filed_at": self._input.filed_at,
            "closed_at": self._closed_at,
            "events_seen": len(self._seen_event_ids),
            "escalations": self._escalations_total,
            "dispatch_cycles": self._dispatch_cycle + 1,
        }
