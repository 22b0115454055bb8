"""Supervise the whole Whistle system locally: Kafka, Temporal, the lifecycle worker and the HTTP services (SERVICES).

Importable (tests use random free ports) and a CLI:

    python -m deploy.stack run      # .data/, default ports, Temporal state in .data/temporal.db, demo data, Ctrl-C stops
    python -m deploy.stack run --no-demo --base-dir /tmp/x --free-ports
    python -m deploy.stack stop     # (make stop) end a run started in the background: its pid is in .data/stack.pid

Standard library only (httpx is not needed: readiness is plain urllib).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping

from deploy import runfile
from deploy.procs import (
    REPO_ROOT,
    ManagedProcess,
    ProcessFailed,
    free_ports,
    kafka_ready,
    port_open,
    python_executable,
    run_quiet,
    split_hostport,
    stop_processes,
    wait_until,
)

SERVICES = ("intake", "dispatch", "department", "feedback", "dashboard", "wishes", "notify", "portal")

DEFAULT_PORTS: dict[str, int] = {
    "portal": 8000,
    "intake": 8001,
    "dispatch": 8002,
    "department": 8003,
    "feedback": 8004,
    "dashboard": 8005,
    "wishes": 8006,
    "notify": 8007,
    "kafka": 9092,
    "kafka_controller": 9093,
    "temporal": 7233,
    "temporal_ui": 8233,
    "worker_metrics": 9464,
    "temporal_sdk_metrics": 9465,  # the worker's Temporal SDK metrics (task failures), scraped by deploy/prometheus
}

HOST = "127.0.0.1"
KAFKA_SH = REPO_ROOT / "deploy" / "kafka" / "kafka.sh"
TEMPORAL_BIN = REPO_ROOT / ".venv" / "bin" / "temporal"


def random_ports() -> dict[str, int]:
    """A full port map of currently free ports (for tests and parallel stacks)."""
    return dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS))))


def temporal_binary() -> str:
    if TEMPORAL_BIN.exists():
        return str(TEMPORAL_BIN)
    sibling = Path(sys.executable).parent / "temporal"
    return str(sibling) if sibling.exists() else "temporal"


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError, ValueError):
        return None


def start_kafka(data_dir: Path, port: int, controller_port: int, log_path: Path, env: Mapping[str, str] | None = None) -> ManagedProcess:
    """Start a single-node KRaft broker (kafka.sh formats once, then execs java in the foreground)."""
    return ManagedProcess(
        "kafka", ["bash", str(KAFKA_SH), "start", str(data_dir), str(port), str(controller_port)], log_path, env=env, cwd=REPO_ROOT
    ).start()


def wait_kafka(proc: ManagedProcess | None, port: int, timeout: float = 120.0) -> None:
    def check() -> None:
        if proc is not None and not proc.alive():
            raise ProcessFailed(proc, "exited before becoming ready")

    try:
        wait_until(lambda: kafka_ready(HOST, port), timeout, 0.5, f"Kafka on {HOST}:{port}", check)
    except TimeoutError as exc:
        if proc is not None:
            raise ProcessFailed(proc, str(exc)) from None
        raise


def start_temporal(
    port: int,
    log_path: Path,
    db_file: Path | None = None,
    ui_port: int | None = None,
    env: Mapping[str, str] | None = None,
    namespaces: tuple[str, ...] = (),
) -> ManagedProcess:
    """Temporal dev server; in memory unless db_file is given; headless unless ui_port is given.

    `namespaces` are created at launch in addition to "default" (creating them later is eventually consistent).
    """
    cmd = [temporal_binary(), "server", "start-dev", "--ip", HOST, "--port", str(port), "--log-level", "warn"]
    for ns in namespaces:
        cmd += ["--namespace", ns]
    if ui_port:
        cmd += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
    else:
        cmd += ["--headless"]
    if db_file is not None:
        Path(db_file).parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--db-filename", str(db_file)]
    return ManagedProcess("temporal", cmd, log_path, env=env, cwd=REPO_ROOT).start()


def temporal_ready(address: str) -> bool:
    host, port = split_hostport(address)
    if not port_open(host, port):
        return False
    try:
        run_quiet(
            [temporal_binary(), "operator", "namespace", "describe", "--namespace", "default", "--address", address,
             "--command-timeout", "5s"],
            timeout=15,
        )
        return True
    except Exception:
        return False


def wait_temporal(proc: ManagedProcess | None, address: str, timeout: float = 120.0) -> None:
    def check() -> None:
        if proc is not None and not proc.alive():
            raise ProcessFailed(proc, "exited before becoming ready")

    try:
        wait_until(lambda: temporal_ready(address), timeout, 0.5, f"Temporal at {address}", check)
    except TimeoutError as exc:
        if proc is not None:
            raise ProcessFailed(proc, str(exc)) from None
        raise


class Stack:
    """Kafka + Temporal + worker + the SERVICES as supervised subprocesses.

    ports: overrides merged onto DEFAULT_PORTS (use random_ports() for tests).
    env_overrides: extra environment for the worker and services (e.g. SLA_POLICY_FILE).
    temporal_db_file: None = in-memory Temporal; a path = persistent state there.
    database_url: base PostgreSQL URL (each service suffixes its own db name); None = SQLite under base_dir.
    kafka_bootstrap / temporal_address: reuse already running infra instead of starting our own.
    temporal_ui: serve the Temporal web UI on ports["temporal_ui"] (default: off, i.e. --headless).
    """

    service_target = "services.{name}.app:create_app"
    worker_module = "workflows.worker"
    ready_timeout = 120.0
    stop_grace = 10.0

    def __init__(
        self,
        base_dir: str | Path,
        ports: Mapping[str, int] | None = None,
        env_overrides: Mapping[str, str] | None = None,
        temporal_db_file: str | Path | None = None,
        database_url: str | None = None,
        *,
        kafka_bootstrap: str | None = None,
        temporal_address: str | None = None,
        temporal_ui: bool = False,
        services: tuple[str, ...] = SERVICES,
        start_worker: bool = True,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.ports = {**DEFAULT_PORTS, **(ports or {})}
        self.env_overrides = {k: str(v) for k, v in (env_overrides or {}).items()}
        self.temporal_db_file = Path(temporal_db_file).resolve() if temporal_db_file else None
        self.database_url = database_url
        self.external_kafka = kafka_bootstrap
        self.external_temporal = temporal_address
        self.temporal_ui = temporal_ui
        self.services = tuple(services)
        self.start_worker = start_worker
        self.log_dir = self.base_dir / "logs"
        self.infra: list[ManagedProcess] = []  # kafka, temporal (stopped last)
        self.apps: list[ManagedProcess] = []  # worker, services (stopped first, in reverse order)
        self._started = False

    # ------------------------------------------------------------------ addresses

    @property
    def kafka_bootstrap(self) -> str:
        return self.external_kafka or f"{HOST}:{self.ports['kafka']}"

    @property
    def temporal_address(self) -> str:
        return self.external_temporal or f"{HOST}:{self.ports['temporal']}"

    @property
    def urls(self) -> dict[str, str]:
        """Base URL of every service, e.g. urls['portal'] == 'http://127.0.0.1:8000'."""
        return {name: f"http://{HOST}:{self.ports[name]}" for name in SERVICES}

    def env(self) -> dict[str, str]:
        """The environment every worker/service process gets."""
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.update(
            PYTHONUNBUFFERED="1",
            KAFKA_BOOTSTRAP=self.kafka_bootstrap,
            TEMPORAL_ADDRESS=self.temporal_address,
            DATA_DIR=str(self.base_dir),
            WORKER_METRICS_PORT=str(self.ports["worker_metrics"]),
            TEMPORAL_SDK_METRICS_PORT=str(self.ports.get("temporal_sdk_metrics", 0)),
        )
        for name, url in self.urls.items():
            env[f"{name.upper()}_URL"] = url
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.env_overrides)
        return env

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "Stack":
        if self._started:
            return self
        self._started = True
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_infra()
            self._start_apps()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_infra(self) -> None:
        kafka = temporal = None
        if not self.external_kafka:
            kafka = start_kafka(self.base_dir / "kafka", self.ports["kafka"], self.ports["kafka_controller"], self.log_path("kafka"))
            self.infra.append(kafka)
        if not self.external_temporal:
            temporal = start_temporal(
                self.ports["temporal"],
                self.log_path("temporal"),
                db_file=self.temporal_db_file,
                ui_port=self.ports["temporal_ui"] if self.temporal_ui else None,
            )
            self.infra.append(temporal)
        wait_kafka(kafka, split_hostport(self.kafka_bootstrap)[1], self.ready_timeout)
        wait_temporal(temporal, self.temporal_address, self.ready_timeout)

    def _start_apps(self) -> None:
        env = self.env()
        py = python_executable()
        if self.start_worker:
            self.apps.append(
                ManagedProcess("worker", [py, "-m", self.worker_module], self.log_path("worker"), env=env, cwd=REPO_ROOT).start()
            )
        for name in self.services:
            cmd = [py, "-m", "uvicorn", "--factory", self.service_target.format(name=name),
                   "--host", HOST, "--port", str(self.ports[name])]
            self.apps.append(ManagedProcess(name, cmd, self.log_path(name), env=env, cwd=REPO_ROOT).start())
        self.wait_ready(self.ready_timeout)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until every service's /readyz is 200 and every process is still alive."""
        deadline = time.monotonic() + (timeout or self.ready_timeout)
        pending = {p.name: p for p in self.apps if p.name != "worker"}
        while True:
            self.check_alive()
            for name in list(pending):
                if http_status(f"{self.urls[name]}/readyz") == 200:
                    del pending[name]
            if not pending:
                break
            if time.monotonic() > deadline:
                proc = next(iter(pending.values()))
                raise ProcessFailed(proc, f"/readyz not 200 after {timeout or self.ready_timeout:.0f}s "
                                          f"(still waiting for: {', '.join(pending)})")
            time.sleep(0.3)
        self.check_alive()

    def check_alive(self) -> None:
        """Raise ProcessFailed (with its log tail) if any supervised process has exited."""
        for p in self.infra + self.apps:
            if not p.alive():
                raise ProcessFailed(p, "exited unexpectedly")

    def stop(self) -> None:
        """SIGTERM apps in reverse start order, then Temporal and Kafka; SIGKILL whatever outlives the grace period."""
        stop_processes(list(reversed(self.apps)), grace=self.stop_grace)
        stop_processes(list(reversed(self.infra)), grace=self.stop_grace)
        self.apps.clear()
        self.infra.clear()
        self._started = False

    def processes(self) -> dict[str, ManagedProcess]:
        return {p.name: p for p in self.infra + self.apps}

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------------- CLI


def run_demo(stack: Stack) -> None:
    if not (REPO_ROOT / "deploy" / "demo.py").exists():
        print("warning: deploy/demo.py not found; skipping demo data", file=sys.stderr)
        return
    import subprocess

    res = subprocess.run([python_executable(), "-m", "deploy.demo"], cwd=REPO_ROOT, env=stack.env())
    if res.returncode != 0:
        print(f"warning: python -m deploy.demo exited with {res.returncode}", file=sys.stderr)


def _cmd_run(args: argparse.Namespace) -> int:
    base = Path(args.base_dir)
    ports = random_ports() if args.free_ports else {}
    db_file = None if args.memory else base / "temporal.db"
    overrides = dict(kv.split("=", 1) for kv in args.env)
    stack = Stack(base, ports=ports, env_overrides=overrides, temporal_db_file=db_file,
                  database_url=args.database_url, temporal_ui=not args.headless)

    def on_term(signum, frame):  # treat SIGTERM/SIGHUP like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored (`cmd &`)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        pid_file = runfile.record(base)  # `make stop` (python -m deploy.stack stop) SIGTERMs this process
    except runfile.AlreadyRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"starting Whistle (logs in {stack.log_dir}) ...", flush=True)
        stack.start()
        if not args.no_demo:
            run_demo(stack)
        print("\nWhistle is running:")
        for name, url in stack.urls.items():
            print(f"  {name:<11} {url}")
        print(f"  {'kafka':<11} {stack.kafka_bootstrap}")
        print(f"  {'temporal':<11} {stack.temporal_address}"
              + (f"  (UI http://{HOST}:{stack.ports['temporal_ui']})" if stack.temporal_ui else ""))
        print(f"\nOpen the portal: {stack.urls['portal']}   (Ctrl-C to stop; in the background: make stop)", flush=True)
        while True:
            time.sleep(1)
            stack.check_alive()
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    except ProcessFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abort the clean shutdown
        stack.stop()
        runfile.forget(pid_file)
        print("stopped.", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.stack", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start everything, load demo data, wait for Ctrl-C")
    run.add_argument("--base-dir", default=str(REPO_ROOT / ".data"))
    run.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                     help="base PostgreSQL URL (default: $DATABASE_URL, else SQLite files in the base dir)")
    run.add_argument("--free-ports", action="store_true", help="random free ports instead of DEFAULT_PORTS (8000-.../9092/7233)")
    run.add_argument("--memory", action="store_true", help="in-memory Temporal (no .data/temporal.db)")
    run.add_argument("--headless", action="store_true", help="no Temporal web UI")
    run.add_argument("--no-demo", action="store_true", help="do not run python -m deploy.demo")
    run.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra env for services")
    stop = sub.add_parser("stop", help="stop the run of that base dir (started in the background) and wait for it")
    stop.add_argument("--base-dir", default=str(REPO_ROOT / ".data"))
    stop.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for everything to stop")
    args = parser.parse_args(argv)
    if args.command == "run":
        return _cmd_run(args)
    if args.command == "stop":
        return runfile.stop(Path(args.base_dir), args.timeout)
    return 2


if __name__ == "__main__":
    sys.exit(main())
