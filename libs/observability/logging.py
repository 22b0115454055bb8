"""JSON logs, one line per event, with the service name and the ticket/event ids in context."""
from __future__ import annotations

import logging
import sys

import structlog
from structlog.contextvars import bind_contextvars, merge_contextvars


def configure_logging(service: str, level: int = logging.INFO) -> None:
    """Route structlog and stdlib logging to JSON on stdout; every line carries `service`."""
    shared = [
        merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            lambda _l, _m, ev: {"service": service, **ev},
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(ensure_ascii=False),
            foreign_pre_chain=[*shared, lambda _l, _m, ev: {"service": service, **ev}],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn's own plain-text handlers -> our JSON
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for noisy in ("aiokafka", "kafka", "temporalio", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def bind_ticket(ticket_id: str | None = None, event_id: str | None = None) -> None:
    """Bind ids to the current context so every later log line in this request/handler carries them."""
    values = {k: v for k, v in (("ticket_id", ticket_id), ("event_id", event_id)) if v}
    if values:
        bind_contextvars(**values)
