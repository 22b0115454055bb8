"""The session infrastructure from tests/conftest.py is real and reachable."""
from __future__ import annotations

import uuid

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from temporalio.client import Client

from deploy.postgres import to_libpq


async def test_kafka_produce_consume(kafka_bootstrap: str) -> None:
    topic = f"smoke-{uuid.uuid4().hex}"
    payload = uuid.uuid4().bytes
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, payload, key=b"k")  # topic is auto-created
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"smoke-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        msg = await consumer.getone()
    finally:
        await consumer.stop()
    assert msg.value == payload
    assert (msg.partition, msg.offset) == (meta.partition, meta.offset)


async def test_temporal_client_connects(temporal_address: str) -> None:
    client = await Client.connect(temporal_address, namespace="default")
    assert await client.service_client.check_health()
    # the extra namespaces for isolated make_stack() stacks exist too
    await Client.connect(temporal_address, namespace="whistle-1")


def test_postgres_select_1(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert postgres_url.endswith("/whistle")
    with psycopg.connect(to_libpq(postgres_url), connect_timeout=5) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    # services create their own databases: the postgres role may CREATE DATABASE
    with psycopg.connect(to_libpq(postgres_url), autocommit=True) as conn:
        name = f"smoke_{uuid.uuid4().hex[:8]}"
        conn.execute(f'create database "{name}"')
        conn.execute(f'drop database "{name}"')
