"""Activities: the workflow's only way out to Kafka. Idempotent, so Temporal may retry them freely."""
from __future__ import annotations

from datetime import datetime

from aiokafka import AIOKafkaProducer
from temporalio import activity

from libs.events import (
    Actor,
    CallbackRequested,
    DeadlineWarned,
    Envelope,
    StageDeadlineSet,
    TicketClosed,
    TicketEscalated,
    deterministic_event_id,
)
from libs.messaging import publish
from libs.observability import WORKFLOW_ESCALATIONS, get_logger
from workflows.ticket_lifecycle.shared import DeadlineNotice

log = get_logger(__name__)

SERVICE = "workflows"  # the producing service, as metrics label it
WORKFLOWS_ACTOR = Actor(role="system", id=SERVICE)


def deadline_event(notice: DeadlineNotice) -> Envelope:
    """The event for one notice; its id depends only on the notice, so a retry re-sends the same event."""
    parts = [notice.ticket_id, notice.kind, notice.stage, str(notice.level), str(notice.cycle)]
    if notice.kind == "deadline_set":
        parts.append(notice.deadline)  # a resumed ticket's shifted deadline keeps its cycle: the time tells them apart
    event_id = deterministic_event_id(*parts)
    common = dict(event_id=event_id, ticket_id=notice.ticket_id, actor=WORKFLOWS_ACTOR)
    due = datetime.fromisoformat(notice.deadline)
    if notice.kind == "warned":
        return DeadlineWarned(
            **common, stage=notice.stage, deadline=due, community_id=notice.community_id, department_id=notice.department_id
        )
    if notice.kind == "escalated":
        return TicketEscalated(
            **common,
            stage=notice.stage,
            level=notice.level,
            deadline=due,
            community_id=notice.community_id,
            department_id=notice.department_id,
        )
    if notice.kind == "deadline_set":
        return StageDeadlineSet(
            **common,
            stage=notice.stage,
            deadline=due,
            warn_at=datetime.fromisoformat(notice.warn_at) if notice.warn_at else None,
            community_id=notice.community_id,
            department_id=notice.department_id,
        )
    if notice.kind == "callback_due":
        return CallbackRequested(**common, deadline=due, community_id=notice.community_id, department_id=notice.department_id)
    if notice.kind == "rating_expired":
        return TicketClosed(**common, outcome="rating_window_expired")
    raise ValueError(f"unknown deadline notice kind {notice.kind!r}")


class TicketActivities:
    """Holds the worker process's one Kafka producer (started by the worker, passed in)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    @activity.defn(name="publish_deadline_event")
    async def publish_deadline_event(self, notice: DeadlineNotice) -> str:
        """Publish StageDeadlineSet (时限), DeadlineWarned (催办), TicketEscalated (督办) or TicketClosed; wait for the ack."""
        event = deadline_event(notice)
        await publish(self.producer, event, service=SERVICE)
        if notice.kind == "escalated":
            WORKFLOW_ESCALATIONS.labels(notice.stage, str(notice.level)).inc()
        log.info(
            "deadline_event_published",
            ticket_id=notice.ticket_id,
            event_id=str(event.event_id),
            event_type=event.type,
            stage=notice.stage,
            escalation_level=notice.level,  # `level` is the log level's key
        )
        return str(event.event_id)
