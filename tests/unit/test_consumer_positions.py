"""`reached`: a group-less follower of the config topic knows when it has read what was there at its start (the SLA
source and the grid boundaries wait for it). It used to be all(await ... for ...), an async generator that all()
cannot iterate: every follower crashed after its first poll and re-read the topic from the start every 2 s."""
from __future__ import annotations

import asyncio

from aiokafka import TopicPartition

from libs.messaging.positions import reached

A, B = TopicPartition("config", 0), TopicPartition("config", 1)


class FakeConsumer:
    def __init__(self, positions: dict[TopicPartition, int]) -> None:
        self.positions = positions

    async def position(self, partition: TopicPartition) -> int:
        return self.positions[partition]


def test_reached_once_every_partition_is_at_its_end() -> None:
    assert asyncio.run(reached(FakeConsumer({A: 3, B: 7}), {A: 3, B: 7})) is True
    assert asyncio.run(reached(FakeConsumer({A: 3, B: 6}), {A: 3, B: 7})) is False
    assert asyncio.run(reached(FakeConsumer({A: 4, B: 9}), {A: 3, B: 7})) is True


def test_an_empty_topic_is_reached_at_once() -> None:
    assert asyncio.run(reached(FakeConsumer({}), {})) is True
