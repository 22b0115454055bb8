"""Where a plain (group-less) consumer that reads a topic from its start stands against the end it saw at start."""
from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition


async def reached(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    """Whether every partition's position is at (or past) its end offset. A loop, not all(... await ... for ...): a
    generator expression with `await` is an async generator, which all() cannot iterate (TypeError)."""
    for partition, offset in end.items():
        if await consumer.position(partition) < offset:
            return False
    return True
