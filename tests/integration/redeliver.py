"""Kafka redelivery for the exactly-once tests: send a stored outbox row's event again and wait until a service's
consumer group has committed past it (the service consumed it, whatever it then did with it)."""
from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from libs.events import topic_name
from libs.events.topics import consumer_group
from libs.messaging import OutboxMessage


async def redeliver(bootstrap: str, row: OutboxMessage, *, topic: str, service: str) -> None:
    """Publish `row` again on `topic` (logical name) and wait (up to 120 s) for `service`'s group to commit past it."""
    name = topic_name(topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(name, row.payload, key=row.key.encode())
    finally:
        await producer.stop()
    watcher = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=consumer_group(service), enable_auto_commit=False)
    await watcher.start()
    try:
        partition = TopicPartition(name, sent.partition)
        for _ in range(600):
            if (await watcher.committed(partition) or 0) > sent.offset:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"{service} never consumed the redelivered {row.event_type}")
    finally:
        await watcher.stop()
