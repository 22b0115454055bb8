"""/docs (Swagger UI) and /redoc (ReDoc) render in Chromium with every request to another host blocked: each service
serves the scripts, styles and favicon of its API pages itself. The apps run under uvicorn without their lifespan
(no database or Kafka needed: the pages and /openapi.json use neither)."""
from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, Route, expect

from deploy.procs import free_port
from tests.browser.test_portal_flow import browser  # noqa: F401 - fixture

SERVICES = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes")


@pytest.fixture(scope="module", params=SERVICES)
def served(request) -> Iterator[tuple[str, object]]:
    """(base URL, app) of one service app under uvicorn on a free port."""
    app = importlib.import_module(f"services.{request.param}.app").create_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}", app
    finally:
        server.should_exit = True
        thread.join(10)


def offline_page(browser: Browser, base: str, blocked: list[str]):  # noqa: F811 - the fixture
    """A page on which any request not to `base` is aborted and recorded in `blocked`, as is any console error but
    the one expected: the Content-Security-Policy keeping ReDoc from fetching its vendor's logo."""
    context = browser.new_context()

    def only_local(route: Route) -> None:
        url = route.request.url
        if url.startswith(base + "/") or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and "logo-mini.svg" not in m.text and blocked.append(m.text))
    return context, page


def test_swagger_ui_renders_every_operation_without_network(browser, served):  # noqa: F811
    base, app = served
    blocked: list[str] = []
    context, page = offline_page(browser, base, blocked)
    try:
        page.goto(f"{base}/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text(app.title.split()[1])
        operations = sum(len(item) for item in app.openapi()["paths"].values())
        expect(page.locator(".opblock")).to_have_count(operations)
        page.locator(".opblock").first.click()  # open one: its responses, error codes included, are drawn
        expect(page.locator(".responses-table").first).to_be_visible()
    finally:
        context.close()
    assert blocked == [], f"/docs asked another host: {blocked}"


def test_redoc_renders_without_network(browser, served):  # noqa: F811
    base, app = served
    blocked: list[str] = []
    context, page = offline_page(browser, base, blocked)
    try:
        page.goto(f"{base}/redoc")
        expect(page.locator("h1").first).to_contain_text(app.title.split()[1])
        expect(page.get_by_text("401").first).to_be_attached()
    finally:
        context.close()
    assert blocked == [], f"/redoc asked another host: {blocked}"
