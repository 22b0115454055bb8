"""The one way to build a Kafka producer: idempotent, acks=all, so a retry never duplicates or drops."""
from __future__ import annotations

from aiokafka import AIOKafkaProducer


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
