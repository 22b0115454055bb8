"""structlog JSON logs bound with service/ticket_id/event_id; Prometheus metrics; health and readiness routes."""
from libs.observability.logging import bind_ticket, configure_logging, get_logger
from libs.observability.metrics import (
    CONSUMER_BLOCKED,
    INBOX_PURGED,
    CONSUMER_LAG,
    CONSUMER_LAG_SECONDS,
    EVENTS_CONSUMED,
    EVENTS_PRODUCED,
    HTTP_LATENCY,
    OUTBOX_BACKLOG,
    TICKET_MOVES_REFUSED,
    WORKFLOW_ESCALATIONS,
    instrument_app,
)

__all__ = [
    "CONSUMER_BLOCKED",
    "INBOX_PURGED",
    "CONSUMER_LAG",
    "CONSUMER_LAG_SECONDS",
    "EVENTS_CONSUMED",
    "EVENTS_PRODUCED",
    "HTTP_LATENCY",
    "OUTBOX_BACKLOG",
    "TICKET_MOVES_REFUSED",
    "WORKFLOW_ESCALATIONS",
    "bind_ticket",
    "configure_logging",
    "get_logger",
    "instrument_app",
]
