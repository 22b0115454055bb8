"""The one way to build a Kafka producer (idempotent, acks=all) and the one way to put an event on a topic."""
from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from libs.events import Envelope, encode_event, topic_name
from libs.observability import EVENTS_PRODUCED


def make_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=15000,
        retry_backoff_ms=200,
    )


async def send_encoded(
    producer: AIOKafkaProducer, *, topic: str, key: str, payload: bytes, event_type: str, event_id: str
) -> asyncio.Future:
    """Queue one encoded event with its `event_type` / `event_id` headers; await the returned future for the ack."""
    return await producer.send(
        topic_name(topic),
        value=payload,
        key=key.encode(),
        headers=[("event_type", event_type.encode()), ("event_id", event_id.encode())],
    )


async def publish(producer: AIOKafkaProducer, event: Envelope, *, service: str) -> None:
    """Publish `event` and wait for the broker's ack (activities; services go through the outbox instead)."""
    ack = await send_encoded(
        producer, topic=event.topic, key=event.key, payload=encode_event(event), event_type=event.type, event_id=str(event.event_id)
    )
    await ack
    EVENTS_PRODUCED.labels(service, event.type).inc()
