"""The workflows worker process: the Temporal worker (ticket lifecycle, report and wish-claim workflows, their
activities), the report schedules and the Kafka→Temporal bridge (tickets and wishes topics).

Run with `python -m workflows.worker`; stops cleanly on SIGTERM/SIGINT. Everything it is configured with (task
queue, addresses, cache size) is read from the settings when it runs, never at import.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from libs.directory import live as directory_live
from libs.events import TICKETS
from libs.events.topics import WISHES, consumer_group
from libs.messaging import EventConsumer, make_producer
from libs.observability import configure_logging, get_logger
from libs.settings import Settings, get_settings
from workflows.reports.activities import ReportActivities
from workflows.reports.schedules import ensure_schedules
from workflows.reports.workflows import OverdueDigestWorkflow, RankingSnapshotWorkflow
from workflows.ticket_lifecycle.activities import TicketActivities
from workflows.ticket_lifecycle.bridge import CONSUMER_GROUP, SlaSource, TicketBridge, halted_for_tests, is_transient
from workflows.ticket_lifecycle.workflows import TicketWorkflow
from workflows.wish_claims.activities import ClaimActivities
from workflows.wish_claims.bridge import WishClaimBridge
from workflows.wish_claims.workflows import WishClaimWorkflow
from workflows.worker_http import BridgeReadiness, probe_temporal, serve_in_thread

log = get_logger(__name__)

SERVICE = "workflows"
DEFAULT_METRICS_PORT = 9464
STICKY_TIMEOUT = timedelta(seconds=2)  # SDK default 10 s: a killed worker would hold its tickets' deadlines that long

T = TypeVar("T")


async def _retry(what: str, connect: Callable[[], Awaitable[T]], seconds: int = 60) -> T:
    """Wait for a dependency that `make run` starts alongside us (Temporal, Kafka)."""
    for attempt in range(1, seconds + 1):
        try:
            return await connect()
        except Exception as exc:  # noqa: BLE001 - still starting; give up after `seconds`
            if attempt == seconds:
                raise
            log.warning("waiting_for_dependency", what=what, attempt=attempt, error=str(exc))
            await asyncio.sleep(1)
    raise AssertionError("unreachable")


def _serve_metrics(readiness: BridgeReadiness) -> None:
    """/metrics, /healthz and /readyz (the bridge keeping up) on WORKER_METRICS_PORT; 0: none."""
    port = int(os.environ.get("WORKER_METRICS_PORT", DEFAULT_METRICS_PORT))
    if not port:
        return
    try:
        serve_in_thread(port, SERVICE, readiness)
        log.info("metrics_serving", port=port)
    except OSError as exc:  # another worker on this host holds the port: run without metrics, say so
        log.warning("metrics_port_unavailable", port=port, error=str(exc))


def _sdk_runtime() -> Runtime | None:
    """The Temporal SDK's own metrics (workflow and activity task failures, polls, latencies) on
    TEMPORAL_SDK_METRICS_PORT for Prometheus (deploy/prometheus); unset or 0: the default runtime, no metrics."""
    port = int(os.environ.get("TEMPORAL_SDK_METRICS_PORT") or 0)
    if not port:
        return None
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}")))
    except Exception as exc:  # noqa: BLE001 - the port is taken: run without SDK metrics, say so
        log.warning("sdk_metrics_port_unavailable", port=port, error=str(exc))
        return None


async def run_worker(settings: Settings, stop: asyncio.Event, readiness: BridgeReadiness | None = None) -> None:
    """Run the Temporal worker and the bridge consumer until `stop` is set or either fails."""
    task_queue = settings.temporal_task_queue
    sdk_runtime = _sdk_runtime()
    client = await _retry(
        "temporal",
        lambda: Client.connect(settings.temporal_address, namespace=settings.temporal_namespace, runtime=sdk_runtime),
    )
    probing = None
    if readiness is not None:
        check = lambda: client.service_client.check_health(timeout=timedelta(seconds=2))  # noqa: E731
        probing = asyncio.create_task(probe_temporal(check, readiness, stop), name="workflows-temporal-probe")
    producer = make_producer(settings.kafka_bootstrap, SERVICE)
    await _retry("kafka producer", producer.start)
    sla = SlaSource()
    following = [
        await sla.start_following(settings.kafka_bootstrap, stop),
        # The rankings' scopes (workflows/reports/activities.py) are the directory in force, not the file's.
        await directory_live.start_following(settings.kafka_bootstrap, stop),
    ]
    bridge = TicketBridge(client, task_queue=task_queue, sla=sla)
    consumer = EventConsumer(
        bootstrap=settings.kafka_bootstrap,
        group=consumer_group(CONSUMER_GROUP),  # prefixed like the topics: test stacks sharing a broker never share it
        topics=[TICKETS, WISHES],
        # halted_for_tests: unchanged unless a test sets WHISTLE_TEST_BRIDGE_HALT (see its docstring)
        handlers=halted_for_tests(bridge.handlers() | WishClaimBridge(client, task_queue=task_queue).handlers()),
        producer=producer,
        engine=None,  # async handlers only: the bridge is idempotent through workflow ids and event ids
        service=SERVICE,
        is_transient=is_transient,  # Temporal down: hold the partition and wait, never dead-letter
    )
    activities = TicketActivities(producer)
    reports = ReportActivities(producer, settings.dashboard_url)
    claims = ClaimActivities(producer)
    try:
        await ensure_schedules(client, task_queue)
        async with Worker(
            client,
            task_queue=task_queue,
            # A workflow task stuck on a dead (kill -9) worker's sticky queue moves to the shared queue after this.
            sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
            # Keep every open ticket's workflow in memory: an evicted one is rebuilt from its history on each
            # alarm, which measured twice the worker CPU and 12x the p99 task time at 1,500 open tickets.
            max_cached_workflows=settings.worker_max_cached_workflows,
            workflows=[TicketWorkflow, OverdueDigestWorkflow, RankingSnapshotWorkflow, WishClaimWorkflow],
            activities=[
                activities.publish_deadline_event, reports.publish_overdue_digest, reports.publish_ranking_snapshot,
                claims.publish_claim_expired,  # 揽梦: a claim's deadline passed
            ],
        ):
            log.info("worker_started", task_queue=task_queue, namespace=settings.temporal_namespace)
            # Joining the consumer group waits for a killed predecessor to time out of it (session timeout):
            # the deadlines must not wait for that, so the Temporal worker runs first.
            await _retry("kafka consumer", consumer.start)
            log.info("bridge_consuming", group=consumer.group)
            if readiness is not None:
                readiness.consumer = consumer
            consuming = asyncio.create_task(consumer.run(), name="workflows-bridge")
            stopping = asyncio.create_task(stop.wait(), name="workflows-stop")
            done, _ = await asyncio.wait({consuming, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            await consumer.stop()  # no new signals before the worker drains its activities
            if consuming in done:
                consuming.result()  # the bridge died: re-raise so the process exits non-zero
            else:
                consuming.cancel()
                await asyncio.gather(consuming, return_exceptions=True)
    finally:
        background = [*following, *([probing] if probing else [])]
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await consumer.stop()
        await producer.stop()
        log.info("worker_stopped")


async def main() -> None:
    configure_logging(SERVICE)
    readiness = BridgeReadiness()
    _serve_metrics(readiness)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run_worker(get_settings(), stop, readiness)


if __name__ == "__main__":
    asyncio.run(main())
    # Everything is stopped and flushed; skip interpreter finalization, where the Temporal SDK's native threads
    # occasionally abort the process (PyGILState_Release fatal error) and turn a clean stop into exit -6.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
