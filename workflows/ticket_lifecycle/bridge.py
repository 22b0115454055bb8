"""Kafka → Temporal: TicketFiled starts a TicketWorkflow, every stage-changing ticket event becomes a signal.

The handlers run in an EventConsumer with no database, so each is idempotent on its own: a workflow id equals
the ticket id (a second start is refused), and the workflow ignores a signal whose event id it has seen.
"""
from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from libs.events import Event, TicketFiled
from libs.messaging import Handler
from libs.observability import get_logger
from workflows.ticket_lifecycle.shared import STAGE_AFTER_EVENT, TicketEventSignal, TicketWorkflowInput
from workflows.ticket_lifecycle.workflows import TicketWorkflow

log = get_logger(__name__)

CONSUMER_GROUP = "workflows"


class TicketBridge:
    """Turns ticket events into workflow starts and signals on one Temporal client and task queue."""

    def __init__(self, client: Client, *, task_queue: str, dispatch_timeout_seconds: float) -> None:
        self.client = client
        self.task_queue = task_queue
        self.dispatch_timeout_seconds = dispatch_timeout_seconds

    def handlers(self) -> dict[str, Handler]:
        """Event type → handler for EventConsumer; TicketEscalated, DeadlineWarned, TicketRated change no timer."""
        return {"TicketFiled": self.start_ticket_workflow} | {
            event_type: self.signal_ticket_workflow for event_type in STAGE_AFTER_EVENT
        }

    async def start_ticket_workflow(self, event: Event) -> None:
        assert isinstance(event, TicketFiled)
        try:
            await self.client.start_workflow(
                TicketWorkflow.run,
                TicketWorkflowInput(
                    ticket_id=event.ticket_id,
                    community_id=event.community_id,
                    urgency=event.urgency,
                    category=event.category,
                    filed_at=event.occurred_at.isoformat(),
                    dispatch_timeout_seconds=self.dispatch_timeout_seconds,
                ),
                id=event.ticket_id,
                task_queue=self.task_queue,
                # A redelivered TicketFiled must not restart the workflow of a ticket that is already closed.
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            log.info("ticket_workflow_started")
        except WorkflowAlreadyStartedError:
            log.info("ticket_workflow_already_started")

    async def signal_ticket_workflow(self, event: Event) -> None:
        signal = TicketEventSignal(
            event_id=str(event.event_id),
            type=event.type,
            occurred_at=event.occurred_at.isoformat(),
            department_id=getattr(event, "department_id", None),
            community_id=getattr(event, "community_id", None),
        )
        try:
            await self.client.get_workflow_handle(event.ticket_id).signal(TicketWorkflow.ticket_event, signal)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # No workflow (filed before the bridge existed) or already completed: nothing left to time.
            log.warning("ticket_workflow_not_running", error=exc.message)
