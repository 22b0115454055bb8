"""deploy.stack.Stack supervises processes correctly (with stand-in apps, independent of the real services)."""
from __future__ import annotations

import json
import textwrap
import urllib.request

import pytest

from deploy.procs import ProcessFailed
from deploy.stack import SERVICES, Stack, random_ports

FAKE_APP = textwrap.dedent(
    '''
    import json, os, socket

    def create_app():
        async def app(scope, receive, send):
            if scope["type"] == "lifespan":
                while True:
                    msg = await receive()
                    if msg["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    elif msg["type"] == "lifespan.shutdown":
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            path = scope["path"]
            if path == "/healthz":
                status, body = 200, b"ok"
            elif path == "/readyz":
                host, port = os.environ["KAFKA_BOOTSTRAP"].rsplit(":", 1)
                try:
                    socket.create_connection((host, int(port)), timeout=1).close()
                    status, body = 200, b"ready"
                except OSError:
                    status, body = 503, b"kafka down"
            elif path == "/env":
                status = 200
                body = json.dumps({k: v for k, v in os.environ.items()
                                   if k.endswith("_URL") or k in ("KAFKA_BOOTSTRAP", "TEMPORAL_ADDRESS", "DATA_DIR",
                                                                  "DISPATCH_TIMEOUT_SECONDS", "TOPIC_PREFIX")}).encode()
            else:
                status, body = 404, b""
            await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": body})
        return app
    '''
)
FAKE_WORKER = "import time\nprint('fake worker up', flush=True)\nwhile True:\n    time.sleep(1)\n"
CRASHING_APP = "def create_app():\n    raise SystemExit('boom: cannot start')\n"


@pytest.fixture()
def fake_pkg(tmp_path):
    pkg = tmp_path / "pkg" / "fakewhistle"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "app.py").write_text(FAKE_APP)
    (pkg / "crash.py").write_text(CRASHING_APP)
    (pkg / "worker.py").write_text(FAKE_WORKER)
    return tmp_path / "pkg"


class FakeStack(Stack):
    service_target = "fakewhistle.app:create_app"
    worker_module = "fakewhistle.worker"
    ready_timeout = 60


def test_stack_starts_serves_and_stops(tmp_path, fake_pkg, kafka_bootstrap, temporal_address):
    ports = random_ports()
    stack = FakeStack(tmp_path / "base", ports, {"PYTHONPATH": str(fake_pkg), "DISPATCH_TIMEOUT_SECONDS": "3"},
                      kafka_bootstrap=kafka_bootstrap, temporal_address=temporal_address)
    with stack:
        assert set(stack.urls) == set(SERVICES)
        assert stack.urls["portal"] == f"http://127.0.0.1:{ports['portal']}"
        with urllib.request.urlopen(stack.urls["dispatch"] + "/env", timeout=5) as resp:
            env = json.load(resp)
        assert env["KAFKA_BOOTSTRAP"] == kafka_bootstrap
        assert env["TEMPORAL_ADDRESS"] == temporal_address
        assert env["DATA_DIR"] == str((tmp_path / "base").resolve())
        assert env["DISPATCH_TIMEOUT_SECONDS"] == "3"
        for name in SERVICES:
            if name != "portal":
                assert env[f"{name.upper()}_URL"] == stack.urls[name]
        assert "DATABASE_URL" not in env
        procs = stack.processes()
        assert set(procs) == set(SERVICES) | {"worker"}
        stack.check_alive()
    assert all(not p.alive() for p in procs.values())
    assert (tmp_path / "base" / "logs" / "worker.log").read_text().count("fake worker up") == 1


def test_stack_reports_crashing_service_with_log_tail(tmp_path, fake_pkg, kafka_bootstrap, temporal_address):
    class Crashing(FakeStack):
        service_target = "fakewhistle.crash:create_app"

    stack = Crashing(tmp_path / "base", random_ports(), {"PYTHONPATH": str(fake_pkg)},
                     kafka_bootstrap=kafka_bootstrap, temporal_address=temporal_address)
    with pytest.raises(ProcessFailed, match="boom: cannot start"):
        stack.start()
    assert not stack.apps and not stack.infra  # start() cleaned up after itself
