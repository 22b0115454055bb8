"""Prometheus metrics every service exposes on /metrics, plus /healthz and /readyz."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, Field
from structlog.contextvars import clear_contextvars

HTTP_LATENCY = Histogram(
    "whistle_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PRODUCED = Counter("whistle_events_produced_total", "Events published to Kafka", ["service", "type"])
EVENTS_CONSUMED = Counter(
    "whistle_events_consumed_total", "Events consumed", ["service", "type", "outcome"]
)
INBOX_PURGED = Counter("whistle_inbox_purged_total", "Inbox rows deleted after the keep period (no redelivery can reach them)", ["service"])
OUTBOX_BACKLOG = Gauge("whistle_outbox_backlog", "Outbox rows not yet published", ["service"])
CONSUMER_BLOCKED = Gauge(
    "whistle_consumer_blocked", "1 while the consumer holds its partitions waiting out an infrastructure outage", ["service", "group"]
)
CONSUMER_LAG = Gauge("whistle_consumer_lag", "Messages behind the high watermark", ["service", "topic", "partition"])
CONSUMER_LAG_SECONDS = Gauge(
    "whistle_consumer_lag_seconds",
    "Age of the record the consumer is handling or waiting on (0 once it has caught up); for the worker, the bridge's lag",
    ["service", "group"],
)
TICKET_MOVES_REFUSED = Counter(
    "whistle_ticket_moves_refused_total",
    "Ticket events whose status move the lifecycle table forbids (logged, view left as it was)",
    ["service", "type", "status"],
)
WORKFLOW_ESCALATIONS = Counter(
    "whistle_workflow_escalations_total", "Escalations emitted by ticket workflows", ["stage", "level"]
)

ReadinessCheck = Callable[[], Awaitable[str | None]]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    service: str
    problems: dict[str, str] = Field(default_factory=dict, examples=[{"database": "OperationalError: connection refused"}])


def instrument_app(app: FastAPI, service: str, checks: dict[str, ReadinessCheck]) -> None:
    """Add latency middleware and the /healthz, /readyz, /metrics routes to a service app."""

    @app.middleware("http")
    async def _observe(request: Request, call_next):  # noqa: ANN001, ANN202
        clear_contextvars()
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            HTTP_LATENCY.labels(
                service, request.method, getattr(route, "path", "unmatched"), str(status)
            ).observe(time.perf_counter() - start)

    @app.get("/healthz", tags=["ops"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get(
        "/readyz",
        tags=["ops"],
        summary="Readiness: database and Kafka reachable",
        responses={
            200: {"model": Readiness, "description": "Ready: every check passed"},
            503: {"model": Readiness, "description": "服务暂不可用 — not ready; `problems` names each failing check"},
        },
    )
    async def readyz() -> JSONResponse:
        problems = {}
        for name, check in checks.items():
            try:
                problem = await check()
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                problem = f"{type(exc).__name__}: {exc}"
            if problem:
                problems[name] = problem
        body = {"status": "ready" if not problems else "not ready", "service": service, "problems": problems}
        return JSONResponse(body, status_code=200 if not problems else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=True)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
