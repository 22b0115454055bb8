"""create_app() plumbing shared by the five services; each service passes its routers and handlers."""
from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from libs.db import ensure_database, make_engine, migrate, transaction
from libs.db.durability import check_durability
from libs.directory import live as directory_live
from libs.events.topics import consumer_group
from libs.events import TICKETS
from libs.messaging import EventConsumer, Handlers, OutboxRelay, make_producer
from libs.observability import bind_ticket, configure_logging, get_logger, instrument_app
from libs.runtime.bad_values import install_bad_value_handler
from libs.runtime.docs import install_docs
from libs.runtime.errors import document_errors
from libs.runtime.unavailable import install_unavailable_handler
from libs.settings import Settings, get_settings
from libs.statemachine import DomainError

log = get_logger(__name__)
T = TypeVar("T")
STOP_GRACE_S = 5.0


class Runtime:
    """The clients one service process owns: DB engine, Kafka producer, outbox relay, consumer."""

    def __init__(
        self,
        service: str,
        settings: Settings,
        migrations_dir: Path,
        handlers: Handlers,
        topics: tuple[str, ...] = (TICKETS,),
    ) -> None:
        self.service = service
        self.topics = tuple(topics)
        self.settings = settings
        self.migrations_dir = migrations_dir
        self.handlers = handlers
        self.database_url = settings.database_url_for(service)
        self.engine: Engine | None = None
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.consumer: EventConsumer | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._config_stop = asyncio.Event()  # ends the directory follower

    async def start(self) -> None:
        await asyncio.to_thread(ensure_database, self.database_url)
        self.engine = make_engine(self.database_url)
        # Refuses (production) or warns about a server that would lose acknowledged commits, before touching it.
        await asyncio.to_thread(check_durability, self.engine, self.settings.env, self.service)
        await asyncio.to_thread(migrate, self.database_url, self.migrations_dir)
        self.producer = make_producer(self.settings.kafka_bootstrap, self.service)
        await _retry("kafka producer", self.producer.start)
        self.relay = OutboxRelay(self.engine, self.producer, self.service, poll_seconds=self.settings.outbox_poll_seconds)
        # The reference data in force: every process follows the admins' publications on `config` (caught up first).
        self._tasks.append(await directory_live.start_following(self.settings.kafka_bootstrap, self._config_stop))
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.service}-outbox-relay"))
        if self.handlers:
            self.consumer = EventConsumer(
                bootstrap=self.settings.kafka_bootstrap,
                group=consumer_group(self.service),
                topics=list(self.topics),
                handlers=self.handlers,
                producer=self.producer,
                engine=self.engine,
                service=self.service,
                inbox_keep=timedelta(days=self.settings.inbox_keep_days),
                after_commit=self.relay.wake,
            )
            # Joining the group waits for a killed predecessor's session to expire (~10 s after a kill -9): the API
            # does not wait for that, so a restarted service answers /readyz in about a second.
            self._tasks.append(asyncio.create_task(self._consume(), name=f"{self.service}-consumer"))
        log.info("service_started", database=self.engine.url.render_as_string(hide_password=True))
        # What startup built lives as long as the process: out of the collector's full passes, which otherwise walk it all
        # (bench/dashboard.py: without this about one answer in a hundred waited ~100 ms for such a pass).
        gc.collect()
        gc.freeze()

    async def _consume(self) -> None:
        assert self.consumer is not None
        await _retry("kafka consumer", self.consumer.start)
        log.info("consumer_started", group=self.consumer.group)
        await self.consumer.run()

    async def stop(self) -> None:
        self._config_stop.set()
        if self.relay:
            self.relay.stop()
        if self.consumer:
            self.consumer.request_stop()
        if self._tasks:  # let the consumer commit what it handled and the relay finish its batch, then cancel
            await asyncio.wait(self._tasks, timeout=STOP_GRACE_S)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.relay:
            with contextlib.suppress(Exception):
                await self.relay.publish_once()  # flush what was committed during shutdown
        if self.consumer:
            with contextlib.suppress(Exception):
                await self.consumer.stop()
        if self.producer:
            with contextlib.suppress(Exception):
                await self.producer.stop()
        if self.engine:
            self.engine.dispose()

    @contextlib.contextmanager
    def unit_of_work(self, ticket_id: str | None = None) -> Iterator[Session]:
        """One transaction for one use case; the relay is woken after commit so events leave at once."""
        assert self.engine is not None
        bind_ticket(ticket_id)
        with transaction(self.engine) as session:
            yield session
        if self.relay:
            self.relay.wake()

    def session(self) -> Session:
        assert self.engine is not None
        return Session(self.engine)

    def run(self, use_case: Callable[..., T], /, **kwargs: Any) -> T:
        """`use_case(session, **kwargs)` as one unit of work (a change: committed, its events woken)."""
        with self.unit_of_work(kwargs.get("ticket_id")) as session:
            return use_case(session, **kwargs)

    def read(self, query: Callable[..., T], /, **kwargs: Any) -> T:
        """`query(session, **kwargs)` in a session of its own (nothing to commit)."""
        with self.session() as session:
            return query(session, **kwargs)

    async def check_db(self) -> str | None:
        def probe() -> None:
            assert self.engine is not None
            with self.engine.connect() as conn:
                conn.execute(text("select 1"))

        await asyncio.wait_for(asyncio.to_thread(probe), 3)
        return None

    async def check_consumer(self) -> str | None:
        return await self.consumer.readiness() if self.consumer else None

    async def check_kafka(self) -> str | None:
        if self.producer is None:
            return "producer not started"
        await asyncio.wait_for(self.producer.client.fetch_all_metadata(), 3)
        return None


async def _retry(what: str, start: Callable[[], Any], attempts: int = 60) -> None:
    for attempt in range(1, attempts + 1):
        try:
            await start()
            return
        except Exception as exc:  # noqa: BLE001 - Kafka may still be starting
            if attempt == attempts:
                raise
            log.warning("waiting_for_dependency", what=what, attempt=attempt, error=str(exc))
            await asyncio.sleep(1)


def current_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(current_runtime)]


def build_app(
    *,
    service: str,
    title: str,
    description: str,
    routers: list[APIRouter],
    handlers: Handlers,
    migrations_dir: Path,
    settings: Settings | None = None,
    topics: tuple[str, ...] = (TICKETS,),
) -> FastAPI:
    """A FastAPI app with the shared lifespan, error mapping, ops routes, offline /docs and /redoc, and every error
    answer documented in its OpenAPI (`libs.runtime.errors`); the consumer reads `topics` (logical names)."""
    settings = settings or get_settings()
    configure_logging(service)
    if not topics:
        raise ValueError("topics: a service consumes at least one topic")
    runtime = Runtime(service, settings, migrations_dir, handlers, topics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    install_docs(app)
    document_errors(app)

    install_unavailable_handler(app, service)  # a database outage: 503 + Retry-After, never a 500
    install_bad_value_handler(app, service)  # a NUL character or an out-of-range number: 422, never a 500

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    instrument_app(
        app, service, {"database": runtime.check_db, "kafka": runtime.check_kafka, "consumer": runtime.check_consumer}
    )
    for router in routers:
        app.include_router(router)
    return app


def service_app(
    app_file: str,
    routers: list[APIRouter],
    handlers: Handlers,
    *,
    title: str,
    description: str,
    topics: tuple[str, ...] = (TICKETS,),
) -> Callable[[], FastAPI]:
    """The `create_app` of the service whose app.py is `app_file`: named after its folder, migrated from its
    `migrations/`; nothing is configured until it is called."""
    folder = Path(app_file).parent

    def create_app(settings: Settings | None = None) -> FastAPI:
        return build_app(
            service=folder.name,
            title=title,
            description=description,
            routers=routers,
            handlers=handlers,
            migrations_dir=folder / "migrations",
            settings=settings,
            topics=topics,
        )

    return create_app
