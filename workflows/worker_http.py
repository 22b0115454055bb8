"""The worker's small HTTP port (WORKER_METRICS_PORT): /metrics for Prometheus, /healthz, and /readyz, which says
whether the Kafka→Temporal bridge is keeping up: not ready until it consumes, nor while it waits out an outage
(Temporal or Kafka down: `EventConsumer.blocked_by`), nor while Temporal fails its health check (`probe_temporal`). Served from a thread, like prometheus_client's own server."""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from libs.messaging import EventConsumer


class BridgeReadiness:
    """What /readyz answers; `consumer` is set once the bridge has joined its consumer group, `temporal_error` by
    `probe_temporal` (None while Temporal answers its health check: a quiet bridge would not notice it is down)."""

    def __init__(self) -> None:
        self.consumer: EventConsumer | None = None
        self.temporal_error: str | None = None

    def problems(self) -> dict[str, str]:
        consumer = self.consumer
        problems = {"temporal": self.temporal_error} if self.temporal_error else {}
        if consumer is None:
            return {"bridge": "not consuming yet", **problems}
        blocked = consumer.blocked_by  # a plain attribute read from this thread: the loop replaces it whole
        return {"bridge": f"waiting for infrastructure: {blocked}", **problems} if blocked else problems


async def probe_temporal(check: Callable[[], Awaitable[bool]], readiness: BridgeReadiness, stop: asyncio.Event,
                         every: float = 5.0) -> None:
    """Until `stop`: Temporal's health check (`client.service_client.check_health` with a short time-out) every
    `every` seconds; a failure or a not-serving answer is a /readyz problem until the next check passes."""
    while not stop.is_set():
        try:
            serving = await check()
            readiness.temporal_error = None if serving else "temporal is not serving"
        except Exception as exc:  # noqa: BLE001 - any failure to answer is "not ready", never a crash
            readiness.temporal_error = f"{type(exc).__name__}: {exc}"[:200]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the scraper's every request is noise
        pass


def app(service: str, readiness: BridgeReadiness) -> Callable:
    metrics = make_wsgi_app()

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path in ("/readyz", "/healthz"):
            problems = readiness.problems() if path == "/readyz" else {}
            body = json.dumps(
                {"status": ("not ready" if problems else "ready") if path == "/readyz" else "ok", "service": service, "problems": problems},
                ensure_ascii=False,
            ).encode()
            status = "503 Service Unavailable" if problems else "200 OK"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return metrics(environ, start_response)

    return serve


def serve_in_thread(port: int, service: str, readiness: BridgeReadiness, addr: str = "127.0.0.1") -> WSGIServer:
    """Bind now (an OSError if the port is taken) and serve forever from a daemon thread."""
    server = make_server(addr, port, app(service, readiness), _ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    return server
