"""Portal service: the one front door for people (one port); server-rendered pages calling the services' APIs."""
from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from libs.db import ensure_database, make_engine
from libs.db.durability import check_durability
from libs.observability import configure_logging, get_logger, instrument_app
from libs.settings import Settings, get_settings
from services.portal import reference_sync
from services.portal.clients import Backends
from services.portal.otp import OtpSettings, OtpStore
from services.portal.pages import ROUTERS
from services.portal.security import check_csrf, install_security
from services.portal.users import DEMO_USERS_FILE, UserStore, load_demo_users
from services.portal.views import install_error_pages

log = get_logger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    demo_users_file: Path | None = None,
) -> FastAPI:
    """`transport` replaces the network to the backends (tests pass an httpx.MockTransport)."""
    settings = settings or get_settings()
    configure_logging("portal")
    database_url = settings.database_url_for("portal")
    users_file = demo_users_file or _demo_users_file()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(ensure_database, database_url)
        engine = make_engine(database_url)
        await asyncio.to_thread(check_durability, engine, settings.env, "portal")  # refuses fsync/synchronous_commit off in production
        users = UserStore(engine)
        await asyncio.to_thread(users.migrate)
        otp_settings = OtpSettings()
        otps = OtpStore(engine, settings.jwt_secret, per_client=otp_settings.client_limit())
        purged = await asyncio.to_thread(otps.purge)
        log.info("otp_codes_purged", deleted=purged)
        if users_file is not None:
            added = await asyncio.to_thread(users.seed, load_demo_users(users_file))
            log.info("demo_users_seeded", added=added, file=str(users_file))
        app.state.users = users
        app.state.otps = otps
        app.state.otp_settings = otp_settings
        app.state.backends = Backends(settings, transport=transport)
        stop_refresh = asyncio.Event()  # the directory in force follows the admins' publications (reference_sync.py)
        refresh = asyncio.create_task(reference_sync.keep_fresh(app.state.backends, stop_refresh), name="portal-directory")
        log.info("service_started", database=engine.url.render_as_string(hide_password=True))
        try:
            yield
        finally:
            stop_refresh.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(refresh, 2)
            await app.state.backends.aclose()
            engine.dispose()

    app = FastAPI(
        title="Whistle portal 居民吹哨门户",
        description="Pages for residents, community and department staff, and leadership.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(check_csrf)],  # every POST carries the page's CSRF token (security.py)
    )
    app.state.settings = settings

    async def check_db() -> str | None:
        await asyncio.wait_for(asyncio.to_thread(app.state.users.check), 3)
        return None

    instrument_app(app, "portal", {"database": check_db})
    install_error_pages(app)
    install_security(app, secret=settings.jwt_secret, production=settings.env == "production")
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app


def _demo_users_file() -> Path | None:
    """PORTAL_DEMO_USERS=<path> picks another file; PORTAL_DEMO_USERS=none seeds nobody."""
    chosen = os.environ.get("PORTAL_DEMO_USERS")
    if chosen is None:
        return DEMO_USERS_FILE
    return None if chosen.lower() in ("", "none", "off") else Path(chosen)
