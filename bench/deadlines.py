"""Deadline-timer benchmark: how late do 催办 warnings and 督办 escalations reach Kafka under load?

    PYTHONPATH=. .venv/bin/python bench/deadlines.py                       # full defaults (N=10000, W=600, B=1000)
    PYTHONPATH=. .venv/bin/python bench/deadlines.py -n 1000 -w 60 -b 200 --raw-n 300   # quick validation
    PYTHONPATH=. .venv/bin/python bench/deadlines.py --phases steady --worker-tuning '{"max_cached_workflows": 12000}' \
        --label cache12k                                                   # worker tuning experiment

Starts its own Kafka broker and Temporal dev server (SQLite file, as `make run`) on free ports, plus the real
lifecycle worker (`python -m workflows.worker`; with --worker-tuning the same module run with
extra `temporalio.worker.Worker` keyword arguments patched in, to measure options worker.py does not offer yet).

Phases (each bounded in time; everything started is killed at the end, also on Ctrl-C / SIGTERM):
  steady  N TicketWorkflows started directly with the Temporal client, their dispatch deadlines due evenly over
          W seconds after a lead time; a Kafka consumer measures lateness = received - due for DeadlineWarned
          (due = warn time) and TicketEscalated level 1 (due = deadline).
  burst   B more TicketWorkflows whose deadlines are all due at the same instant (warnings a gap earlier).
  raw     a minimal workflow (start, no-op activity, wait_condition with timeout, signal) on a fresh dev server with
          an in-process worker and no Kafka: starts/s, signals/s, completions/s, and a raw timer burst of the same
          size as `burst` for an apples-to-apples ratio.

Prints a table per phase and writes bench/results/deadlines[-LABEL].json.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from temporalio import activity, workflow

# No Path.resolve() at import: the workflow sandbox re-imports this module and refuses file-system access.
REPO = Path(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ---------------------------------------------------------------------------------------------------- raw workflow
# Module level so the sandbox can import it (the raw phase imports this file as `bench.deadlines`).

RAW_ACTIVITY_TIMES: dict[str, float] = {}  # workflow id -> wall time its "publish" activity ran (in-process worker)
RAW_COUNTS = {"first": 0, "publish": 0}


@activity.defn(name="raw_noop")
async def raw_noop(kind_and_id: str) -> None:
    kind, _, wf_id = kind_and_id.partition(":")
    if kind == "publish":
        RAW_ACTIVITY_TIMES[wf_id] = time.time()
        RAW_COUNTS["publish"] += 1
    else:
        RAW_COUNTS["first"] += 1


@workflow.defn(name="RawDeadline")
class RawDeadlineWorkflow:
    """start -> no-op activity -> wait_condition(timeout) -> (signal ends it | timeout: one more no-op activity)."""

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self, fire_at: float) -> str:
        wf_id = workflow.info().workflow_id
        await workflow.execute_activity(raw_noop, f"first:{wf_id}", start_to_close_timeout=timedelta(seconds=30))
        remaining = fire_at - workflow.now().timestamp()
        try:
            await workflow.wait_condition(lambda: self.done, timeout=max(remaining, 0.001))
            return "signalled"
        except asyncio.TimeoutError:
            await workflow.execute_activity(raw_noop, f"publish:{wf_id}", start_to_close_timeout=timedelta(seconds=30))
            return "timed_out"

    @workflow.signal
    def finish(self) -> None:
        self.done = True


# ---------------------------------------------------------------------------------------------------- helpers


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def dist(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50_s": _r(pct(values, 0.5)),
        "p99_s": _r(pct(values, 0.99)),
        "max_s": _r(max(values) if values else None),
        "min_s": _r(min(values) if values else None),
    }


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def fmt(x: Any, nd: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Sampler(threading.Thread):
    """Samples VmRSS/VmHWM and CPU time of named pids, and whole-machine CPU, every `interval` seconds."""

    def __init__(self, interval: float = 0.5) -> None:
        super().__init__(daemon=True, name="proc-sampler")
        self.interval = interval
        self.pids: dict[str, int] = {}
        self.samples: list[tuple[float, dict[str, tuple[int, int, float]], tuple[float, float]]] = []
        self._halt = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")

    def watch(self, name: str, pid: int | None) -> None:
        if pid:
            self.pids[name] = pid

    def _proc(self, pid: int) -> tuple[int, int, float] | None:
        try:
            rss = hwm = 0
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm = int(line.split()[1])
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / self._tick  # utime + stime
            return rss, hwm, cpu
        except (OSError, IndexError, ValueError):
            return None

    def _machine(self) -> tuple[float, float, float]:
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
        idle = parts[3] + parts[4]
        return sum(parts) / self._tick, idle / self._tick, parts[4] / self._tick

    def sample(self) -> None:
        procs = {}
        for name, pid in list(self.pids.items()):
            got = self._proc(pid)
            if got:
                procs[name] = got
        self.samples.append((time.time(), procs, self._machine()))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()

    def summary(self, t_from: float, t_to: float) -> dict[str, Any]:
        """Per process: peak sampled RSS in the window, VmHWM (lifetime peak) at its end, CPU seconds and % of one core."""
        window = [s for s in self.samples if t_from <= s[0] <= t_to]
        if len(window) < 2:
            return {}
        span = window[-1][0] - window[0][0]
        out: dict[str, Any] = {"window_s": round(span, 1)}
        for name in sorted({n for s in window for n in s[1]}):
            series = [(s[0], s[1][name]) for s in window if name in s[1]]
            if not series:
                continue
            cpu_s = series[-1][1][2] - series[0][1][2]
            out[name] = {
                "peak_rss_mb": round(max(v[0] for _, v in series) / 1024, 1),
                "vm_hwm_mb": round(series[-1][1][1] / 1024, 1),
                "cpu_s": round(cpu_s, 1),
                "cpu_pct_of_one_core": round(100 * cpu_s / span, 1) if span else None,
            }
        (tot0, idle0, io0), (tot1, idle1, io1) = window[0][2], window[-1][2]
        busy = (tot1 - tot0) - (idle1 - idle0)
        out["machine_cpu_busy_pct"] = round(100 * busy / (tot1 - tot0), 1) if tot1 > tot0 else None
        out["machine_iowait_pct"] = round(100 * (io1 - io0) / (tot1 - tot0), 1) if tot1 > tot0 else None
        ours = sum(v["cpu_s"] for v in out.values() if isinstance(v, dict))
        # CPU used by processes this bench did not start (e.g. other test runs on the same machine)
        out["other_processes_pct_of_one_core"] = round(100 * max(busy - ours, 0) / span, 1) if span else None
        return out


def print_resources(res: dict[str, Any]) -> None:
    if not res:
        return
    print(f"  {'process':10} {'peak RSS MB':>12} {'VmHWM MB':>10} {'CPU s':>8} {'% of 1 core':>12}")
    for name, v in res.items():
        if isinstance(v, dict):
            print(f"  {name:10} {fmt(v['peak_rss_mb'], 1):>12} {fmt(v['vm_hwm_mb'], 1):>10} {fmt(v['cpu_s'], 1):>8} "
                  f"{fmt(v['cpu_pct_of_one_core'], 1):>12}")
    print(f"  machine over {res.get('window_s')} s: CPU busy {res.get('machine_cpu_busy_pct')}% of all cores, iowait "
          f"{res.get('machine_iowait_pct')}%, processes not ours {res.get('other_processes_pct_of_one_core')}% of one core")


# ---------------------------------------------------------------------------------------------------- the stack


class Procs:
    """Everything this run started, stopped in reverse order (SIGTERM, then SIGKILL after a grace period)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.started: list = []

    def add(self, proc):
        self.started.append(proc)
        return proc

    def stop(self, proc=None, grace: float = 10.0) -> None:
        from deploy.procs import stop_processes

        targets = [proc] if proc is not None else list(reversed(self.started))
        stop_processes([p for p in targets if p is not None], grace=grace)
        for p in targets:
            if p in self.started:
                self.started.remove(p)


def start_infra(procs: Procs, sampler: Sampler, db_name: str, with_kafka: bool) -> dict[str, Any]:
    from deploy.procs import free_port
    from deploy.stack import start_kafka, start_temporal, wait_kafka, wait_temporal

    info: dict[str, Any] = {}
    kafka = None
    if with_kafka:
        kport, cport = free_port(), free_port()
        while cport == kport:
            cport = free_port()
        kafka = procs.add(start_kafka(procs.base / "kafka", kport, cport, procs.base / "logs" / "kafka.log"))
        info["kafka"] = kafka
        info["bootstrap"] = f"127.0.0.1:{kport}"
        sampler.watch("kafka", kafka.pid)
    tport = free_port()
    temporal = procs.add(start_temporal(tport, procs.base / "logs" / f"{db_name}.log", db_file=procs.base / f"{db_name}.db"))
    info["temporal"] = temporal
    info["temporal_address"] = f"127.0.0.1:{tport}"
    sampler.watch("temporal", temporal.pid)
    if kafka is not None:
        wait_kafka(kafka, int(info["bootstrap"].rsplit(":", 1)[1]))
    wait_temporal(temporal, info["temporal_address"])
    return info


def start_worker(procs: Procs, sampler: Sampler, info: dict[str, Any], task_queue: str, tuning: dict[str, Any]):
    from deploy.procs import ManagedProcess, ProcessFailed, free_port, python_executable

    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),
        KAFKA_BOOTSTRAP=info["bootstrap"],
        TEMPORAL_ADDRESS=info["temporal_address"],
        TEMPORAL_TASK_QUEUE=task_queue,
        TOPIC_PREFIX="",
        WORKER_METRICS_PORT=str(free_port()),
        DATA_DIR=str(procs.base),
    )
    if tuning:
        cmd = [python_executable(), str(Path(__file__).resolve()), "--_tuned-worker", json.dumps(tuning)]
    else:
        cmd = [python_executable(), "-m", "workflows.worker"]
    log_path = procs.base / "logs" / "worker.log"
    worker = procs.add(ManagedProcess("worker", cmd, log_path, env=env, cwd=REPO).start())
    sampler.watch("worker", worker.pid)
    deadline = time.monotonic() + 90
    while True:
        if not worker.alive():
            raise ProcessFailed(worker, "exited before starting")
        if log_path.exists() and "worker_started" in log_path.read_text(errors="replace"):
            return worker
        if time.monotonic() > deadline:
            raise ProcessFailed(worker, "did not log worker_started within 90 s")
        time.sleep(0.3)


def run_tuned_worker(tuning_json: str) -> None:
    """The real worker module with extra Worker(...) keyword arguments: what worker.py would do with tuning options."""
    import functools

    from temporalio.worker import Worker

    import workflows.worker as worker_module

    kwargs = json.loads(tuning_json)
    worker_module.Worker = functools.partial(Worker, **kwargs)  # type: ignore[attr-defined]
    print(f"tuned worker: Worker(**{kwargs})", flush=True)
    asyncio.run(worker_module.main())


# ---------------------------------------------------------------------------------------------------- Kafka side


async def ensure_topics(bootstrap: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    from libs.events import CONFIG, TICKETS, topic_name

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for name in (topic_name(TICKETS), topic_name(CONFIG)):
            try:
                await admin.create_topics([NewTopic(name, num_partitions=6, replication_factor=1)])
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


class Collector:
    """Consumes the tickets topic from the start and records, per (ticket, kind), receive time and record time."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.seen: dict[tuple[str, str], tuple[float, float]] = {}  # (ticket_id, "warned"|"escalated1") -> (recv, record ts)
        self.duplicates = 0
        self.other = 0
        self.task: asyncio.Task | None = None
        self.consumer = None

    async def start(self) -> None:
        from aiokafka import AIOKafkaConsumer

        from libs.events import TICKETS, topic_name

        self.consumer = AIOKafkaConsumer(
            topic_name(TICKETS), bootstrap_servers=self.bootstrap, group_id=None, auto_offset_reset="earliest",
            enable_auto_commit=False, fetch_max_wait_ms=50,
        )
        await self.consumer.start()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self.consumer is not None
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            now = time.time()
            for records in batches.values():
                for record in records:
                    try:
                        data = json.loads(record.value or b"{}")
                    except ValueError:
                        continue
                    kind = data.get("type")
                    if kind == "DeadlineWarned":
                        key = (data["ticket_id"], "warned")
                    elif kind == "TicketEscalated" and data.get("level") == 1:
                        key = (data["ticket_id"], "escalated1")
                    else:
                        self.other += 1
                        continue
                    if key in self.seen:
                        self.duplicates += 1
                    else:
                        self.seen[key] = (now, record.timestamp / 1000.0)

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.consumer:
            await self.consumer.stop()


# ---------------------------------------------------------------------------------------------------- ticket inputs


def policy_document(span_s: float, fraction: float) -> dict[str, Any]:
    """An SLA policy in seconds: `span_s` to dispatch, warn at `fraction` of it, no level 2/3 within the run."""
    stage = lambda amount: {"amount": amount, "unit": "seconds"}  # noqa: E731
    stages = {"dispatch": stage(span_s), "accept": stage(3600), "contact": stage(3600), "resolve": stage(86400),
              "rating": stage(86400)}
    far = {"level2_after": stage(86400), "level3_after": stage(86400)}
    return {
        "version": 1,
        "warning_fraction": fraction,
        "ladder": far,
        "joint_on_site": stage(1800),
        "urgencies": {u: dict(stages, ladder=far) for u in ("emergency", "urgent", "ordinary", "complex")},
    }


class InputFactory:
    """TicketWorkflowInput built the bridge's way (TicketFiled -> TicketBridge.workflow_input) with a per-ticket policy."""

    def __init__(self) -> None:
        from libs.sla.calendar import load_calendar
        from libs.sla.policy import SlaPolicy
        from workflows.ticket_lifecycle.bridge import SlaSource, TicketBridge

        self.SlaPolicy = SlaPolicy
        self.calendar = load_calendar()
        self.bridge = TicketBridge(None, task_queue="unused", sla=SlaSource(SlaPolicy.parse(policy_document(60, 0.8)), self.calendar))  # type: ignore[arg-type]

    def build(self, ticket_id: str, due: float, warn_gap: float) -> tuple[Any, float, float]:
        """Input for a ticket filed now whose dispatch deadline is `due` (epoch s) and warning `warn_gap` s before it.

        Returns (input, warn_due, deadline_due) computed from the input exactly as the workflow computes them."""
        from libs.events import Actor, TicketFiled
        from libs.sla.calendar import deadline
        from libs.sla.policy import TicketSla

        filed = datetime.now(timezone.utc)
        span = max(due - filed.timestamp(), warn_gap + 1.0)
        fraction = min(max(1.0 - warn_gap / span, 0.001), 0.999)
        self.bridge.sla.policy = self.SlaPolicy.parse(policy_document(round(span, 6), round(fraction, 6)))
        event = TicketFiled(
            ticket_id=ticket_id, actor=Actor(role="resident", id="bench"), occurred_at=filed, title="bench deadline",
            description="bench", category="road", urgency="emergency", community_id="xinran",
        )
        wf_input = self.bridge.workflow_input(event)
        sla = TicketSla.from_dict(wf_input.sla)
        start = datetime.fromisoformat(wf_input.filed_at)
        d = sla.stages["dispatch"]
        deadline_due = deadline(self.calendar, start, d.amount, d.unit).timestamp()
        warn_due = deadline(self.calendar, start, d.amount * sla.warning_fraction, d.unit).timestamp()
        return wf_input, warn_due, deadline_due


async def start_tickets(client, task_queue: str, plan: list[tuple[str, float, float]], concurrency: int,
                        expected: dict[tuple[str, str], float]) -> dict[str, Any]:
    """Start TicketWorkflows for plan = [(ticket_id, due, warn_gap)], in due order; fills `expected`."""
    from temporalio.common import WorkflowIDReusePolicy

    from workflows.ticket_lifecycle.workflows import TicketWorkflow

    factory = InputFactory()
    queue: asyncio.Queue = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    latencies: list[float] = []
    errors: list[str] = []
    started_after_warn = 0

    async def starter() -> None:
        nonlocal started_after_warn
        while True:
            try:
                ticket_id, due, gap = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            wf_input, warn_due, deadline_due = factory.build(ticket_id, due, gap)
            t = time.time()
            try:
                await client.start_workflow(
                    TicketWorkflow.run, wf_input, id=ticket_id, task_queue=task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            done = time.time()
            latencies.append(done - t)
            if done > warn_due:
                started_after_warn += 1
            expected[(ticket_id, "warned")] = warn_due
            expected[(ticket_id, "escalated1")] = deadline_due

    t0 = time.time()
    await asyncio.gather(*(starter() for _ in range(concurrency)))
    elapsed = time.time() - t0
    return {
        "started": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "elapsed_s": round(elapsed, 2),
        "starts_per_s": round(len(latencies) / elapsed, 1) if elapsed else None,
        "start_call_latency": dist(latencies),
        "started_after_their_warn_time": started_after_warn,
        "t_begin": t0,
        "t_end": t0 + elapsed,
    }


def lateness(collector: Collector, expected: dict[tuple[str, str], float], kind: str) -> dict[str, Any]:
    recv, produced, recv_times = [], [], []
    total = 0
    for key, due in expected.items():
        if key[1] != kind:
            continue
        total += 1
        got = collector.seen.get(key)
        if got:
            recv.append(got[0] - due)
            produced.append(got[1] - due)
            recv_times.append(got[0])
    # p50 lateness per tenth of the due-time range: flat = a fixed latency, rising = a throughput backlog
    by_due = sorted((due, got[0] - due) for key, due in expected.items() if key[1] == kind and (got := collector.seen.get(key)))
    tenths = [round(pct([x for _, x in by_due[i * len(by_due) // 10:(i + 1) * len(by_due) // 10]], 0.5) or 0.0, 3)
              for i in range(10)] if len(by_due) >= 10 else []
    return {
        "expected": total,
        "arrived": len(recv),
        "p50_by_tenth_of_window_s": tenths,
        "received_minus_due": dist(recv),
        "produced_minus_due": dist(produced),  # Kafka record timestamp (producer create time) minus due
        "over_2s": sum(1 for x in recv if x > 2.0),
        "last_received": max(recv_times) if recv_times else None,
    }


async def wait_arrivals(collector: Collector, expected: dict, until_due: float, drain_timeout: float,
                        label: str, worker=None) -> float:
    """Wait until the last due time has passed and every expected event arrived (or the drain timeout)."""
    last_report = 0.0
    hard_stop = until_due + drain_timeout
    while True:
        now = time.time()
        arrived = sum(1 for k in expected if k in collector.seen)
        due_so_far = sum(1 for v in expected.values() if v <= now)
        if now - last_report >= 15:
            behind = due_so_far - arrived
            log(f"{label}: {arrived}/{len(expected)} events arrived, {due_so_far} due so far (behind {behind})")
            last_report = now
        if now >= until_due and arrived >= len(expected):
            return now
        if now >= hard_stop:
            log(f"{label}: drain timeout ({drain_timeout:.0f} s after the last due time); {arrived}/{len(expected)} arrived")
            return now
        if worker is not None and not worker.alive():
            raise RuntimeError(f"worker exited (code {worker.returncode}); log {worker.log_path}")
        await asyncio.sleep(0.5)


async def history_breakdown(client, expected: dict[tuple[str, str], float], sample: int) -> dict[str, Any]:
    """Where the lateness goes, from the workflow histories of `sample` tickets (spread over the due order).

    The workflow publishes through a local activity, recorded as a marker when the workflow task that ran it
    completes. Per notice (the warning, then the escalation), pairing each marker with the timer fired before it:
      timer_set_drift   TimerStarted - the WorkflowTaskStarted whose workflow.now() computed the timeout (the
                        workflow re-arms long waits 5 s before they are due, so this is the final, short timer's)
      timer_fired_late  TimerFired - due
      fired_to_published   MarkerRecorded - TimerFired, split into wft_queue (the handling WorkflowTaskStarted -
                        TimerFired: waiting for a worker poll) and wft_run (MarkerRecorded - WorkflowTaskStarted:
                        the worker running the task, including the Kafka publish and its ack)
    """
    from temporalio.api.enums.v1 import EventType as E

    tickets = sorted({t for t, _ in expected})
    if not tickets or sample <= 0:
        return {}
    step = max(1, len(tickets) // sample)
    chosen = tickets[::step][:sample]
    parts: dict[str, dict[str, list[float]]] = {k: {} for k in ("warned", "escalated1")}

    def put(kind: str, name: str, value: float) -> None:
        parts[kind].setdefault(name, []).append(value)

    sem = asyncio.Semaphore(8)

    async def one(ticket_id: str) -> None:
        async with sem:
            history = await client.get_workflow_handle(ticket_id).fetch_history()
        last_wft_started = None
        started_timers: dict[int, dict[str, float]] = {}
        last_fired: dict[str, float] | None = None
        publishes: list[tuple[dict[str, float], float]] = []
        for ev in history.events:
            t = ev.event_time.seconds + ev.event_time.nanos / 1e9
            et = ev.event_type
            if et == E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                last_wft_started = t
                if last_fired is not None and "wft_started" not in last_fired:
                    last_fired["wft_started"] = t
            elif et == E.EVENT_TYPE_TIMER_STARTED:
                started_timers[ev.event_id] = {"started": t, "basis": last_wft_started or t}
            elif et == E.EVENT_TYPE_TIMER_FIRED:
                timer = started_timers.get(ev.timer_fired_event_attributes.started_event_id)
                if timer is not None:
                    timer["fired"] = t
                    last_fired = timer
            elif et == E.EVENT_TYPE_MARKER_RECORDED and last_fired is not None:
                publishes.append((last_fired, t))
                last_fired = None
        for i, kind in enumerate(("warned", "escalated1")):
            if i >= len(publishes):
                continue
            tm, marker = publishes[i]
            put(kind, "timer_set_drift", tm["started"] - tm["basis"])
            put(kind, "timer_fired_late", tm["fired"] - expected[(ticket_id, kind)])
            put(kind, "fired_to_published", marker - tm["fired"])
            if "wft_started" in tm:
                put(kind, "  wft_queue", tm["wft_started"] - tm["fired"])
                put(kind, "  wft_run", marker - tm["wft_started"])

    results = await asyncio.gather(*(one(t) for t in chosen), return_exceptions=True)
    errors = [r for r in results if isinstance(r, Exception)]
    return {
        "sampled_workflows": len(chosen),
        "errors": len(errors),
        **{kind: {name: dist(values) for name, values in d.items()} for kind, d in parts.items()},
    }


def print_breakdown(bd: dict) -> None:
    if not bd:
        return
    print(f"  lateness breakdown from {bd['sampled_workflows']} workflow histories (p50 / p99 / max s):")
    for kind in ("warned", "escalated1"):
        for name, d in bd.get(kind, {}).items():
            print(f"    {kind:11} {name:28} {fmt(d['p50_s']):>7} {fmt(d['p99_s']):>7} {fmt(d['max_s']):>7}")


# ---------------------------------------------------------------------------------------------------- phases


async def phase_steady(args, info: dict, sampler: Sampler, worker, run_id: str) -> dict[str, Any]:
    from temporalio.client import Client

    client = await Client.connect(info["temporal_address"])
    collector = Collector(info["bootstrap"])
    await collector.start()
    try:
        n, w = args.tickets, args.window
        lead = args.lead if args.lead is not None else 30.0 + n / args.assumed_start_rate
        t_first_due = time.time() + lead
        plan = [(f"{run_id}-s{i:06d}", t_first_due + i * w / n, args.warn_gap) for i in range(n)]
        log(f"steady: starting {n} workflows; first deadline in {lead:.0f} s, last {lead + w:.0f} s from now")
        expected: dict[tuple[str, str], float] = {}
        starts = await start_tickets(client, args.task_queue, plan, args.start_concurrency, expected)
        log(f"steady: started {starts['started']} in {starts['elapsed_s']} s ({starts['starts_per_s']}/s), "
            f"{starts['errors']} errors; {max(0.0, t_first_due - args.warn_gap - time.time()):.0f} s until the first warning")
        resources_start = sampler.summary(starts["t_begin"], starts["t_end"])
        t_fire_begin = min(expected.values()) if expected else time.time()
        last_due = max(expected.values()) if expected else time.time()
        t_done = await wait_arrivals(collector, expected, last_due, args.drain_timeout, "steady", worker)
        sampler.sample()
        resources_fire = sampler.summary(t_fire_begin, t_done)
        warned, escalated = lateness(collector, expected, "warned"), lateness(collector, expected, "escalated1")
        breakdown = await history_breakdown(client, expected, args.history_sample)
        return {
            "lateness_breakdown": breakdown,
            "tickets": n, "window_s": w, "lead_s": round(lead, 1), "warn_gap_s": args.warn_gap,
            "due_per_s": round(n / w, 2), "events_per_s": round(2 * n / w, 2),
            "starts": {k: v for k, v in starts.items() if not k.startswith("t_")},
            "warnings": {k: v for k, v in warned.items() if k != "last_received"},
            "escalations_level1": {k: v for k, v in escalated.items() if k != "last_received"},
            "duplicates": collector.duplicates,
            "resources_during_starts": resources_start,
            "resources_during_firing": resources_fire,
        }
    finally:
        await collector.stop()


async def phase_burst(args, info: dict, sampler: Sampler, worker, run_id: str) -> dict[str, Any]:
    from temporalio.client import Client

    client = await Client.connect(info["temporal_address"])
    collector = Collector(info["bootstrap"])
    await collector.start()
    try:
        b = args.burst
        lead = args.burst_lead if args.burst_lead is not None else 30.0 + b / args.assumed_start_rate + args.burst_warn_gap
        t_burst = float(int(time.time() + lead))  # a whole second: every deadline due at exactly this instant
        plan = [(f"{run_id}-b{i:05d}", t_burst, args.burst_warn_gap) for i in range(b)]
        log(f"burst: starting {b} workflows, all due at +{t_burst - time.time():.0f} s, warnings {args.burst_warn_gap:.0f} s earlier")
        expected: dict[tuple[str, str], float] = {}
        starts = await start_tickets(client, args.task_queue, plan, args.start_concurrency, expected)
        log(f"burst: started {starts['started']} in {starts['elapsed_s']} s ({starts['starts_per_s']}/s)")
        t_warn = min(expected.values()) if expected else t_burst
        t_done = await wait_arrivals(collector, expected, t_burst, args.drain_timeout, "burst", worker)
        sampler.sample()
        warned, escalated = lateness(collector, expected, "warned"), lateness(collector, expected, "escalated1")
        esc_records = [collector.seen[k][1] for k in expected if k[1] == "escalated1" and k in collector.seen]
        warn_records = [collector.seen[k][1] for k in expected if k[1] == "warned" and k in collector.seen]
        out = {
            "lateness_breakdown": await history_breakdown(client, expected, args.history_sample),
            "burst": b, "burst_instant": datetime.fromtimestamp(t_burst, timezone.utc).isoformat(),
            "warn_gap_s": args.burst_warn_gap,
            "starts": {k: v for k, v in starts.items() if not k.startswith("t_")},
            "escalations_level1": {k: v for k, v in escalated.items() if k != "last_received"},
            "warnings": {k: v for k, v in warned.items() if k != "last_received"},
            # "on Kafka" = the record's producer timestamp; "received" = our consumer got it
            "last_escalation_on_kafka_after_s": _r(max(esc_records) - t_burst) if esc_records else None,
            "last_escalation_received_after_s": _r(escalated["last_received"] - t_burst) if escalated["last_received"] else None,
            "escalations_per_s_drain": _r(len(esc_records) / max(max(esc_records) - t_burst, 1e-3), 1) if esc_records else None,
            "last_warning_on_kafka_after_s": _r(max(warn_records) - (t_burst - args.burst_warn_gap)) if warn_records else None,
            "warnings_per_s_drain": _r(len(warn_records) / max(max(warn_records) - (t_burst - args.burst_warn_gap), 1e-3), 1)
            if warn_records else None,
            "duplicates": collector.duplicates,
            "resources_during_warning_burst": sampler.summary(t_warn, t_burst),
            "resources_during_escalation_burst": sampler.summary(t_burst, t_done),
        }
        return out
    finally:
        await collector.stop()


async def phase_raw(args, info: dict, sampler: Sampler, run_id: str) -> dict[str, Any]:
    from temporalio.client import Client
    from temporalio.worker import Worker

    from bench import deadlines as mod  # the module-level workflow, importable by name for the sandbox

    client = await Client.connect(info["temporal_address"])
    queue = f"raw-{run_id}"
    n = args.raw_n
    out: dict[str, Any] = {"workflows": n, "worker": "in-process, default Worker options, sandboxed"}

    async def start_all(prefix: str, fire_at: float) -> tuple[list, float, float]:
        handles: list = []
        sem = asyncio.Semaphore(args.start_concurrency)

        async def one(i: int) -> None:
            async with sem:
                handles.append(await client.start_workflow(mod.RawDeadlineWorkflow.run, fire_at, id=f"{prefix}{i:06d}", task_queue=queue))

        t0 = time.time()
        await asyncio.gather(*(one(i) for i in range(n)))
        return handles, t0, time.time()

    async with Worker(client, task_queue=queue, workflows=[mod.RawDeadlineWorkflow], activities=[mod.raw_noop]):
        # 1. starts, signals, completions: wait_condition would time out in an hour, the signal ends it first
        mod.RAW_COUNTS["first"] = 0
        handles, t0, t1 = await start_all(f"{run_id}-raw-sig-", time.time() + 3600)
        out["starts_per_s"] = round(n / (t1 - t0), 1)
        log(f"raw: {n} starts in {t1 - t0:.1f} s ({out['starts_per_s']}/s)")
        deadline = time.time() + args.drain_timeout
        while mod.RAW_COUNTS["first"] < n and time.time() < deadline:
            await asyncio.sleep(0.2)
        out["first_activity_all_done_after_start_s"] = _r(time.time() - t0, 1)
        await asyncio.sleep(1.0)  # let the last workflow tasks (scheduling the wait) finish
        completed: list[float] = []

        async def result(h) -> None:
            await h.result()
            completed.append(time.time())

        waiters = [asyncio.create_task(result(h)) for h in handles]
        sem = asyncio.Semaphore(args.start_concurrency)

        async def sig(h) -> None:
            async with sem:
                await h.signal(mod.RawDeadlineWorkflow.finish)

        s0 = time.time()
        await asyncio.gather(*(sig(h) for h in handles))
        s1 = time.time()
        done, pending = await asyncio.wait(waiters, timeout=args.drain_timeout)
        for p in pending:
            p.cancel()
        out["signals_per_s"] = round(n / (s1 - s0), 1)
        out["completions"] = len(completed)
        out["completions_per_s"] = round(len(completed) / (max(completed) - s0), 1) if completed else None
        log(f"raw: signals {out['signals_per_s']}/s, completions {out['completions_per_s']}/s")
        out["resources_signals_completions"] = sampler.summary(s0, time.time())

        # 2. raw timer burst: n workflows whose wait_condition times out at the same instant, then a no-op "publish"
        mod.RAW_ACTIVITY_TIMES.clear()
        b = args.burst
        lead = 20.0 + b / args.assumed_start_rate
        t_burst = float(int(time.time() + lead))
        saved_n, n = n, b
        handles, t0, t1 = await start_all(f"{run_id}-raw-tmr-", t_burst)
        n = saved_n
        log(f"raw timer burst: {b} started in {t1 - t0:.1f} s, due in {t_burst - time.time():.0f} s")
        while time.time() < t_burst + args.drain_timeout and len(mod.RAW_ACTIVITY_TIMES) < b:
            await asyncio.sleep(0.2)
        late = [t - t_burst for t in mod.RAW_ACTIVITY_TIMES.values()]
        out["timer_burst"] = {
            "burst": b,
            "fired": len(late),
            "lateness_publish_activity": dist(late),
            "last_after_s": _r(max(late)) if late else None,
            "fires_per_s_drain": _r(len(late) / max(max(late), 1e-3), 1) if late else None,
            "resources": sampler.summary(t_burst, time.time()),
        }
        log(f"raw timer burst: {len(late)}/{b} fired, last {out['timer_burst']['last_after_s']} s after the instant")
    return out


# ---------------------------------------------------------------------------------------------------- report


def print_steady(s: dict) -> None:
    print(f"\n== steady: {s['tickets']} tickets, deadlines over {s['window_s']} s ({s['due_per_s']}/s deadlines, "
          f"{s['events_per_s']}/s events), lead {s['lead_s']} s")
    st = s["starts"]
    print(f"  starts: {st['started']} in {st['elapsed_s']} s = {st['starts_per_s']}/s (errors {st['errors']}, "
          f"p99 call {fmt(st['start_call_latency']['p99_s'])} s, started after their warn time: {st['started_after_their_warn_time']})")
    print(f"  {'event':22} {'arrived':>13} {'p50 s':>8} {'p99 s':>8} {'max s':>8} {'>2 s':>6}   {'produced p99 s':>14}")
    for name, key in (("DeadlineWarned", "warnings"), ("TicketEscalated L1", "escalations_level1")):
        v = s[key]
        r = v["received_minus_due"]
        print(f"  {name:22} {str(v['arrived']) + '/' + str(v['expected']):>13} {fmt(r['p50_s']):>8} {fmt(r['p99_s']):>8} "
              f"{fmt(r['max_s']):>8} {v['over_2s']:>6}   {fmt(v['produced_minus_due']['p99_s']):>14}")
    print(f"  duplicates: {s['duplicates']}")
    print_breakdown(s.get("lateness_breakdown", {}))
    for name, key in (("warnings", "warnings"), ("escalations", "escalations_level1")):
        print(f"  p50 lateness by tenth of the window ({name}): {s[key].get('p50_by_tenth_of_window_s')}")
    print("  resources while starting:")
    print_resources(s["resources_during_starts"])
    print("  resources while deadlines fire:")
    print_resources(s["resources_during_firing"])


def print_burst(b: dict) -> None:
    print(f"\n== burst: {b['burst']} deadlines due at {b['burst_instant']} (warnings {b['warn_gap_s']} s earlier)")
    st = b["starts"]
    print(f"  starts: {st['started']} in {st['elapsed_s']} s = {st['starts_per_s']}/s")
    print(f"  {'event':22} {'arrived':>13} {'p50 s':>8} {'p99 s':>8} {'max s':>8}")
    for name, key in (("TicketEscalated L1", "escalations_level1"), ("DeadlineWarned", "warnings")):
        v = b[key]
        r = v["received_minus_due"]
        print(f"  {name:22} {str(v['arrived']) + '/' + str(v['expected']):>13} {fmt(r['p50_s']):>8} {fmt(r['p99_s']):>8} {fmt(r['max_s']):>8}")
    print(f"  last escalation L1 on Kafka {fmt(b['last_escalation_on_kafka_after_s'])} s after the instant "
          f"(received {fmt(b['last_escalation_received_after_s'])} s) => {fmt(b['escalations_per_s_drain'], 1)} escalations/s")
    print(f"  warning burst drained in {fmt(b['last_warning_on_kafka_after_s'])} s => {fmt(b['warnings_per_s_drain'], 1)} warnings/s")
    print_breakdown(b.get("lateness_breakdown", {}))
    print("  resources during the escalation burst:")
    print_resources(b["resources_during_escalation_burst"])


def print_raw(r: dict) -> None:
    print(f"\n== raw ceiling: minimal workflow, {r['workflows']} workflows, {r['worker']}, no Kafka")
    print(f"  starts/s {r['starts_per_s']}   signals/s {r['signals_per_s']}   completions/s {r['completions_per_s']} "
          f"({r['completions']} completed)")
    t = r.get("timer_burst")
    if t:
        d = t["lateness_publish_activity"]
        print(f"  timer burst {t['burst']}: {t['fired']} fired, lateness p50 {fmt(d['p50_s'])} p99 {fmt(d['p99_s'])} "
              f"max {fmt(d['max_s'])} s => {fmt(t['fires_per_s_drain'], 1)} fires/s")
    print_resources(r.get("resources_signals_completions", {}))


def ratios(result: dict) -> dict[str, Any]:
    raw, steady, burst = result.get("raw"), result.get("steady"), result.get("burst")
    out: dict[str, Any] = {}
    if not raw:
        return out
    if steady:
        out["steady_starts_vs_raw_starts"] = _r(steady["starts"]["starts_per_s"] / raw["starts_per_s"], 2)
    if burst:
        out["burst_starts_vs_raw_starts"] = _r(burst["starts"]["starts_per_s"] / raw["starts_per_s"], 2)
        t = raw.get("timer_burst") or {}
        if burst.get("escalations_per_s_drain") and t.get("fires_per_s_drain"):
            out["burst_escalations_per_s_vs_raw_timer_fires_per_s"] = _r(burst["escalations_per_s_drain"] / t["fires_per_s_drain"], 2)
        if burst.get("escalations_per_s_drain") and raw.get("completions_per_s"):
            out["burst_escalations_per_s_vs_raw_completions_per_s"] = _r(burst["escalations_per_s_drain"] / raw["completions_per_s"], 2)
    return out


# ---------------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--tickets", type=int, default=10_000, help="steady: open tickets (default 10000)")
    parser.add_argument("-w", "--window", type=float, default=600.0, help="steady: deadlines spread over W s (default 600)")
    parser.add_argument("-b", "--burst", type=int, default=1000, help="burst: deadlines due in the same second (default 1000)")
    parser.add_argument("--raw-n", type=int, default=1000, help="raw: minimal workflows for starts/signals/completions")
    parser.add_argument("--phases", default="steady,burst,raw", help="comma list of steady, burst, raw")
    parser.add_argument("--lead", type=float, default=None, help="steady: seconds from start of starting to the first deadline "
                        "(default 30 + N / --assumed-start-rate)")
    parser.add_argument("--burst-lead", type=float, default=None)
    parser.add_argument("--assumed-start-rate", type=float, default=50.0, help="starts/s used to size the lead time")
    parser.add_argument("--warn-gap", type=float, default=2.0, help="steady: warning this many s before the deadline")
    parser.add_argument("--burst-warn-gap", type=float, default=45.0, help="burst: warnings this many s before the instant")
    parser.add_argument("--start-concurrency", type=int, default=32, help="concurrent start_workflow / signal calls")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="max wait after the last due time")
    parser.add_argument("--history-sample", type=int, default=200, help="workflow histories read for the lateness breakdown")
    parser.add_argument("--worker-tuning", default="", help='JSON of extra Worker kwargs, e.g. \'{"max_cached_workflows": 12000}\'')
    parser.add_argument("--label", default="", help="results go to bench/results/deadlines-LABEL.json")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, temporal.db)")
    parser.add_argument("--_tuned-worker", dest="tuned_worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.tuned_worker is not None:
        run_tuned_worker(args.tuned_worker)
        return 0

    sys.path.insert(0, str(REPO))
    os.environ["TOPIC_PREFIX"] = ""
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    tuning = json.loads(args.worker_tuning) if args.worker_tuning else {}
    run_id = f"bench{int(time.time())}"
    args.task_queue = f"deadlines-{run_id}"
    base = Path(tempfile.mkdtemp(prefix="whistle-deadlines-"))
    (base / "logs").mkdir()
    log(f"work dir {base} (logs in {base / 'logs'})")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    sampler = Sampler()
    sampler.watch("bench", os.getpid())
    sampler.start()
    procs = Procs(base)
    result: dict[str, Any] = {
        "benchmark": "deadlines",
        "parameters": {k: v for k, v in vars(args).items() if k not in ("tuned_worker",)},
        "worker_tuning": tuning or "default (python -m workflows.worker, Worker defaults)",
        "temporal": "dev server (temporal server start-dev) with --db-filename (SQLite file)",
    }
    status = 0
    try:
        if "steady" in phases or "burst" in phases:
            log("starting Kafka and Temporal ...")
            info = start_infra(procs, sampler, "temporal", with_kafka=True)
            asyncio.run(ensure_topics(info["bootstrap"]))
            worker = start_worker(procs, sampler, info, args.task_queue, tuning)
            log(f"worker up (pid {worker.pid}); Kafka {info['bootstrap']}, Temporal {info['temporal_address']}")
            if "steady" in phases:
                result["steady"] = asyncio.run(phase_steady(args, info, sampler, worker, run_id))
                print_steady(result["steady"])
            if "burst" in phases:
                if "steady" in phases:
                    result["burst_note"] = f"run after steady, with its {args.tickets} workflows still open (waiting for level 2)"
                result["burst"] = asyncio.run(phase_burst(args, info, sampler, worker, run_id))
                print_burst(result["burst"])
            procs.stop()
        if "raw" in phases:
            log("raw: fresh Temporal dev server (SQLite), no Kafka ...")
            info = start_infra(procs, sampler, "temporal-raw", with_kafka=False)
            result["raw"] = asyncio.run(phase_raw(args, info, sampler, run_id))
            print_raw(result["raw"])
            procs.stop()
        result["ratios_vs_raw"] = ratios(result)
        if result["ratios_vs_raw"]:
            print("\n== ratios vs the raw ceiling")
            for k, v in result["ratios_vs_raw"].items():
                print(f"  {k:55} {v}")
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
        result["interrupted"] = True
        status = 130
    except Exception as exc:  # noqa: BLE001 - reported, processes still stopped, partial results still written
        log(f"error: {type(exc).__name__}: {exc}")
        result["error"] = f"{type(exc).__name__}: {exc}"
        status = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        procs.stop()
        sampler.stop()
        peaks: dict[str, float] = {}
        for _, ps, _ in sampler.samples:
            for name, (rss, hwm, _) in ps.items():
                peaks[name] = max(peaks.get(name, 0), rss / 1024, hwm / 1024 if name != "bench" else 0)
        result["peak_rss_mb_whole_run"] = {k: round(v, 1) for k, v in peaks.items()}
        result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                             "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}
        result["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        name = f"deadlines-{args.label}.json" if args.label else "deadlines.json"
        out = REPO / "bench" / "results" / name
        out.write_text(json.dumps(result, indent=2, default=str))
        log(f"wrote {out.relative_to(REPO)}; peak RSS (MB) over the run: {result['peak_rss_mb_whole_run']}")
        if not args.keep:
            import shutil

            shutil.rmtree(base, ignore_errors=True)
        else:
            log(f"kept {base}")
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return status


if __name__ == "__main__":
    sys.exit(main())
