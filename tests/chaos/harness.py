"""The chaos stack: the whole system on free ports of 127.0.0.1, PostgreSQL at production durability, Temporal on disk,
and SIGKILL + restart of any one component by name.

    with ChaosStack(base_dir) as chaos:
        chaos.kill("kafka"); chaos.restart("kafka")     # recovery seconds: kill -> every service ready again

Every process is a `deploy.procs.ManagedProcess` in its own process group: a kill takes the whole group (PostgreSQL's
postmaster with every backend, Kafka's JVM under kafka.sh), as a crash of that machine would. A restart runs the same
command on the same data and ports. Nothing outlives the harness (stop() and the parent-death signal).
"""
from __future__ import annotations

import signal
import time
from pathlib import Path

from deploy.postgres import TempPostgres
from deploy.procs import ManagedProcess, ProcessFailed, wait_until
from deploy.stack import SERVICES, Stack, http_status, random_ports, split_hostport, wait_kafka, wait_temporal

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "config" / "sla_policy.test.yaml"  # 30-day spans; `property` tickets escalate within seconds
INFRA = ("kafka", "temporal", "postgres")
COMPONENTS = (*INFRA, "worker", *SERVICES)


class ChaosStack:
    def __init__(self, base_dir: Path, env: dict[str, str] | None = None) -> None:
        self.base = Path(base_dir)
        self.pg = TempPostgres(durable=True)
        self.env = {"SLA_POLICY_FILE": str(POLICY), "INTAKE_RATE_PER_PHONE": "off", "INTAKE_RATE_PER_IP": "off",
                    "PORTAL_DEMO_USERS": "none", **(env or {})}
        self.stack: Stack | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "ChaosStack":
        url = self.pg.start()
        self.stack = Stack(self.base, ports=random_ports(), env_overrides=self.env, database_url=url,
                           temporal_db_file=self.base / "temporal.db")
        self.stack.ready_timeout = 240
        self.stack.start()
        self.check_durable()
        return self

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
        self.pg.stop()

    def __enter__(self) -> "ChaosStack":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def check_durable(self) -> None:
        from sqlalchemy import create_engine

        from libs.db.durability import durability_problems

        engine = create_engine(self.pg.url)
        try:
            problems = durability_problems(engine)
        finally:
            engine.dispose()
        assert not problems, f"the chaos cluster must run at production durability: {problems}"

    # ------------------------------------------------------------------ addressing

    @property
    def urls(self) -> dict[str, str]:
        assert self.stack is not None
        return self.stack.urls

    def process(self, name: str) -> ManagedProcess:
        assert self.stack is not None
        if name == "postgres":
            assert self.pg.proc is not None
            return self.pg.proc
        return self.stack.processes()[name]

    def _replace(self, old: ManagedProcess, new: ManagedProcess) -> None:
        assert self.stack is not None
        if old is self.pg.proc:
            self.pg.proc = new
            return
        for group in (self.stack.infra, self.stack.apps):
            for i, p in enumerate(group):
                if p is old:
                    group[i] = new
                    return
        raise KeyError(old.name)

    # ------------------------------------------------------------------ faults

    def kill(self, name: str) -> None:
        """SIGKILL the component's whole process group and reap it."""
        proc = self.process(name)
        proc.signal(signal.SIGKILL)
        if not proc.wait(30):
            raise ProcessFailed(proc, "survived SIGKILL for 30 s")
        proc.close_log()

    def restart(self, name: str, timeout: float = 240) -> None:
        """Start the killed component again (same command, data and ports) and wait until it serves."""
        old = self.process(name)
        new = ManagedProcess(old.name, old.cmd, old.log_path, env=old.env, cwd=old.cwd, user=old.user).start()
        self._replace(old, new)
        assert self.stack is not None
        if name == "kafka":
            wait_kafka(new, split_hostport(self.stack.kafka_bootstrap)[1], timeout)
        elif name == "temporal":
            wait_temporal(new, self.stack.temporal_address, timeout)
        elif name == "postgres":
            wait_until(self.pg._ready, timeout, 0.2, "PostgreSQL after a restart", self.pg._check)  # noqa: SLF001
        elif name == "worker":
            wait_until(lambda: "worker_started" in new.tail(400).split("===== ")[-1], timeout, 0.2, "the worker",
                       lambda: self._alive(new))
        else:
            wait_until(lambda: http_status(f"{self.urls[name]}/readyz") == 200, timeout, 0.2, f"{name} /readyz",
                       lambda: self._alive(new))

    @staticmethod
    def _alive(proc: ManagedProcess) -> None:
        if not proc.alive():
            raise ProcessFailed(proc, "exited after its restart")

    def all_ready(self) -> bool:
        assert self.stack is not None
        return all(p.alive() for p in self.stack.infra + self.stack.apps) and all(
            http_status(f"{self.urls[name]}/readyz") == 200 for name in SERVICES)

    def wait_all_ready(self, timeout: float = 300) -> float:
        """Seconds until every process is alive and every service's /readyz is 200."""
        t0 = time.monotonic()
        wait_until(self.all_ready, timeout, 0.25, "every service ready")
        return time.monotonic() - t0
