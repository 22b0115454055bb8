"""Shared fixtures: REAL Kafka, Temporal, PostgreSQL and the full Whistle stack, started lazily on free ports.

Only tests under tests/integration, tests/workflows, tests/e2e and tests/browser may use them (they get the
`infra` marker automatically); tests/unit must run with no servers and fails loudly if it asks for one.

    kafka_bootstrap   "127.0.0.1:PORT"   single-node KRaft broker (deploy/kafka/kafka.sh), auto topic creation on
    temporal_address  "127.0.0.1:PORT"   in-memory `temporal server start-dev`
    postgres_url      "postgresql+psycopg://postgres@127.0.0.1:PORT/whistle"  (database exists; trust auth)
    stack             deploy.stack.Stack on free ports, DATABASE_URL=postgres_url, shared Kafka/Temporal,
                      SLA_POLICY_FILE=config/sla_policy.test.yaml; stack.urls["portal"] etc.
    mail_sink         tests.notify_doubles.MailSink: a real local SMTP server every stack's notify sends e-mail to
    deadline_categories  {stage: category}: in that category only that stage's deadline passes within seconds
                      (DEADLINE_CATEGORIES); only deadline tests file tickets in these categories.
    make_stack(**env) another, isolated Stack with env overrides (own databases, topic prefix, Temporal
                      namespace + task queue); cached per overrides, stopped at session end.
    free_port()       a free TCP port (plain function, importable: `from conftest import free_port`).

Every session-scoped process writes its log under pytest's basetemp (kept for the last 3 runs):
    /tmp/pytest-of-$USER/pytest-N/{kafka0,temporal0,stack0,...}/...
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from deploy.procs import free_port, stop_processes  # noqa: E402  (re-exported for tests)
from deploy.stack import Stack, random_ports, start_kafka, start_temporal, wait_kafka, wait_temporal  # noqa: E402

__all__ = ["free_port"]

INFRA_DIRS = ("integration", "workflows", "e2e", "browser", "chaos")
INFRA_FIXTURES = {"kafka_bootstrap", "temporal_address", "postgres_url", "stack", "make_stack"}
TESTS_DIR = Path(__file__).resolve().parent

# Tests do not race the clock. Every test stack runs config/sla_policy.test.yaml, under which no deadline can pass
# during a test (every stage lasts 30 days), except one stage in each deadline category: a test whose subject is
# that deadline (催办, 督办, the overdue digest) files its tickets in DEADLINE_CATEGORIES[stage]; every other test
# uses another category and may take as long as the machine needs. The policy is fixed when the stack starts (no
# version is published at run time), so no test waits for the worker to follow the config topic, and the tests
# may run in any order.
TEST_POLICY = REPO_ROOT / "config" / "sla_policy.test.yaml"
DEADLINE_CATEGORIES: dict[str, str] = {"dispatch": "property", "accept": "garbage", "rating": "elderly"}
STACK_ENV_DEFAULTS: dict[str, str] = {"SLA_POLICY_FILE": str(TEST_POLICY)}
# Tests file far more tickets from one address and one phone than a person would: the intake abuse limits
# (services/intake/abuse.py) are off for every test process and stack; tests/integration/test_abuse.py sets its own.
for _limit in ("INTAKE_RATE_PER_PHONE", "INTAKE_RATE_PER_IP"):
    os.environ.setdefault(_limit, "off")

# Extra Temporal namespaces created at launch, one per isolated make_stack() stack.
EXTRA_NAMESPACES = tuple(f"whistle-{i}" for i in range(1, 7))


def _subdir(item: pytest.Item) -> str | None:
    try:
        rel = Path(str(item.path)).resolve().relative_to(TESTS_DIR)
    except ValueError:
        return None
    return rel.parts[0] if len(rel.parts) > 1 else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _subdir(item) in INFRA_DIRS:
            item.add_marker(pytest.mark.infra)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _subdir(item) == "unit":
        used = INFRA_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if used:
            pytest.fail(f"unit tests must not start servers; move this test to tests/integration (uses {sorted(used)})")


# --------------------------------------------------------------------------- infrastructure


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("kafka")
    port, controller_port = free_port(), free_port()
    while controller_port == port:
        controller_port = free_port()
    proc = start_kafka(base / "data", port, controller_port, base / "kafka.log")
    try:
        wait_kafka(proc, port, timeout=120)
        yield f"127.0.0.1:{port}"
    finally:
        stop_processes([proc], grace=15)
        shutil.rmtree(base / "data", ignore_errors=True)  # keep kafka.log, drop the segments


@pytest.fixture(scope="session")
def temporal_address(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("temporal")
    port = free_port()
    proc = start_temporal(port, base / "temporal.log", namespaces=EXTRA_NAMESPACES)  # in memory, headless
    address = f"127.0.0.1:{port}"
    try:
        wait_temporal(proc, address, timeout=120)
        yield address
    finally:
        stop_processes([proc], grace=10)


@pytest.fixture(scope="session")
def postgres_url():
    from deploy.postgres import TempPostgres

    pg = TempPostgres()
    try:
        yield pg.start()
    finally:
        pg.stop()


# --------------------------------------------------------------------------- full stack


class StackFactory:
    """make_stack(**env) -> started Stack; the first (default) one shares databases/topics with nobody else."""

    def __init__(self, tmp_path_factory, kafka_bootstrap: str, temporal_address: str, postgres_url: str, mail_env: dict[str, str] | None = None) -> None:
        self._tmp = tmp_path_factory
        self.mail_env = mail_env or {}
        self.kafka_bootstrap = kafka_bootstrap
        self.temporal_address = temporal_address
        self.postgres_url = postgres_url
        self._cache: dict[frozenset, Stack] = {}
        self._all: list[Stack] = []

    def __call__(self, *, fresh: bool = False, **env_overrides) -> Stack:
        env = {**STACK_ENV_DEFAULTS, **self.mail_env, **{k: str(v) for k, v in env_overrides.items()}}
        key = frozenset(env.items())
        if not fresh and key in self._cache and self._cache[key]._started:
            return self._cache[key]
        n = len(self._all)
        database_url = self.postgres_url
        if n > 0:  # isolate every extra stack from the default one and from each other
            if n > len(EXTRA_NAMESPACES):
                raise RuntimeError(f"at most {len(EXTRA_NAMESPACES) + 1} stacks per session (raise EXTRA_NAMESPACES)")
            base, _, name = self.postgres_url.rpartition("/")
            database_url = f"{base}/{name}_s{n}"
            env = {
                "TOPIC_PREFIX": f"s{n}.",
                "TEMPORAL_NAMESPACE": EXTRA_NAMESPACES[n - 1],
                "TEMPORAL_TASK_QUEUE": f"ticket-lifecycle-s{n}",
                **env,
            }
        stack = Stack(
            self._tmp.mktemp(f"stack{n}"),
            ports=random_ports(),
            env_overrides=env,
            database_url=database_url,
            kafka_bootstrap=self.kafka_bootstrap,
            temporal_address=self.temporal_address,
        )
        self._all.append(stack)
        stack.start()
        self._cache[key] = stack
        return stack

    def stop_all(self) -> None:
        for stack in reversed(self._all):
            stack.stop()


@pytest.fixture(scope="session")
def mail_sink():
    """A real SMTP server (aiosmtpd) on a free port; every stack's notify sends its e-mail here."""
    from tests.notify_doubles import MailSink

    sink = MailSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def make_stack(tmp_path_factory, kafka_bootstrap, temporal_address, postgres_url, mail_sink):
    factory = StackFactory(tmp_path_factory, kafka_bootstrap, temporal_address, postgres_url, mail_sink.env())
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture(scope="session")
def stack(make_stack) -> Stack:
    """The default full system (STACK_ENV_DEFAULTS); check_alive() before each use would catch crashed services."""
    return make_stack()


@pytest.fixture(scope="session")
def deadline_categories() -> dict[str, str]:
    """{stage: category} whose one short deadline passes within seconds on the test stacks (DEADLINE_CATEGORIES)."""
    return dict(DEADLINE_CATEGORIES)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """System Chromium for Playwright (`launch(executable_path=...)`); `make test` installs it via apt."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)")
