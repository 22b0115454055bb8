"""Transactional outbox + relay, idempotent inbox, consumer loop with dead-letter topic, Kafka producer."""
from libs.messaging.consumer import EventConsumer, Handler, Handlers, is_infrastructure_error
from libs.messaging.inbox import InboxEntry, apply_once
from libs.messaging.outbox import OutboxMessage, OutboxRelay, outbox_backlog, record_event
from libs.messaging.producer import make_producer, publish, send_encoded

__all__ = [
    "EventConsumer",
    "Handler",
    "Handlers",
    "is_infrastructure_error",
    "InboxEntry",
    "OutboxMessage",
    "OutboxRelay",
    "apply_once",
    "make_producer",
    "outbox_backlog",
    "publish",
    "send_encoded",
    "record_event",
]
