"""A local S3-compatible server for the tests: moto's server (`moto[server]`, a test dependency) as a subprocess on
a free 127.0.0.1 port, stopped when the fixture's scope ends. Import `s3_endpoint` into a test module to use it."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from deploy.procs import free_port, python_executable

ACCESS_KEY, SECRET_KEY = "testing", "testing"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:PORT of a fresh, empty S3 server (its log under pytest's basetemp)."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [python_executable(), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {proc.returncode}; see {log_path}")
            try:
                if httpx.get(f"{url}/moto-api/data.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto server did not answer within 60 s; see {log_path}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
