"""Notify service (通知): hears ticket events, tells the people concerned over 站内信, SMS, WeChat and e-mail, keeps
the log and the dead letters; the roster and the templates are admin data."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from libs.runtime import service_app
from libs.settings import Settings
from libs.sms import build_gateway
from services.notify.admin_api import router as admin_router
from services.notify.api import router as inbox_router
from services.notify.channels import NotifySettings, build_channels
from services.notify.consumers import HANDLERS
from services.notify.delivery import Deliverer

_create_service_app = service_app(
    __file__, [inbox_router, admin_router], HANDLERS,
    title="Whistle notify 消息通知",
    description="Tells residents, handlers and the escalation roster (通知名单) what happened to a ticket: 站内信 always, "
    "SMS (not 22:00–07:00 unless an emergency), WeChat template messages and e-mail by each person's preferences; "
    "one message per event per person, retries with backoff, dead letters staff can see and retry.",
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service app plus the sender (`app.state.deliverer`), started after the runtime and stopped before it."""
    app = _create_service_app(settings)
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_lifespan(app):
            runtime = app.state.runtime
            notify_settings = NotifySettings()
            deliverer = Deliverer(runtime.engine, build_channels(notify_settings, runtime.engine, build_gateway()), notify_settings)
            app.state.deliverer = deliverer
            task = asyncio.create_task(deliverer.run(), name="notify-deliverer")
            try:
                yield
            finally:
                deliverer.stop()
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(task), timeout=5)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                with contextlib.suppress(Exception):
                    await deliverer.release()

    app.router.lifespan_context = lifespan
    return app
