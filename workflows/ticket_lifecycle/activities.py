"""Activities: the workflow's only way out to Kafka. Idempotent, so Temporal may retry them freely."""
from __future__ import annotations

from datetime import datetime

from aiokafka import AIOKafkaProducer
from temporalio import activity

from libs.events import Actor, TicketEscalated, deterministic_event_id, encode_event, topic_name
from libs.observability import EVENTS_PRODUCED, WORKFLOW_ESCALATIONS, get_logger
from workflows.ticket_lifecycle.shared import EscalationRequest

log = get_logger(__name__)

WORKFLOWS_ACTOR = Actor(role="system", id="workflows")


def escalation_event(request: EscalationRequest) -> TicketEscalated:
    """The event for one rung of the ladder; its id depends only on the rung, so a retry re-sends the same event."""
    return TicketEscalated(
        event_id=deterministic_event_id(
            request.ticket_id, "escalated", request.stage, str(request.level), str(request.cycle)
        ),
        ticket_id=request.ticket_id,
        actor=WORKFLOWS_ACTOR,
        stage=request.stage,
        level=request.level,
        deadline=datetime.fromisoformat(request.deadline),
        community_id=request.community_id,
        department_id=request.department_id,
    )


class TicketActivities:
    """Holds the worker process's one Kafka producer (started by the worker, passed in)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    @activity.defn(name="publish_escalation")
    async def publish_escalation(self, request: EscalationRequest) -> str:
        """Publish TicketEscalated (督办) and wait for the broker's ack; returns the event id."""
        event = escalation_event(request)
        await self.producer.send_and_wait(
            topic_name(event.topic), value=encode_event(event), key=event.key.encode()
        )
        WORKFLOW_ESCALATIONS.labels(request.stage, str(request.level)).inc()
        EVENTS_PRODUCED.labels("workflows", event.type).inc()
        log.info(
            "ticket_escalated",
            ticket_id=request.ticket_id,
            event_id=str(event.event_id),
            stage=request.stage,
            escalation_level=request.level,  # `level` is the log level's key
        )
        return str(event.event_id)
