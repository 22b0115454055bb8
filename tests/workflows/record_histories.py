"""Record tests/workflows/histories/<prefix><scenario>.json: real TicketWorkflow runs on a Temporal dev server.

    PYTHONPATH=. .venv/bin/python tests/workflows/record_histories.py [--prefix 2026-11-27_] [--address 127.0.0.1:7233]

Without --address it starts (and stops) an in-memory dev server of its own. Each scenario is a representative
ticket life on the second-scale test policy; they run concurrently (about 15 s in all). Histories are append-only
(see README.md in this folder): the files get new names (`--prefix`, by default today's date) and the script
refuses to overwrite one; add each new file to histories/MANIFEST.sha256.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from temporalio.client import Client  # noqa: E402

from deploy.procs import free_port, stop_processes  # noqa: E402
from deploy.stack import start_temporal, wait_temporal  # noqa: E402
from tests.workflows.ticket_harness import (  # noqa: E402
    RATING_S,
    Lifecycle,
    accepted,
    closed,
    contacted,
    dispatched,
    eventually,
    extension_granted,
    extension_refused,
    extension_requested,
    merged,
    reopened,
    resolved,
    resumed,
    returned,
    running_lifecycle,
    sleep_until,
    suspended,
)

HISTORIES = Path(__file__).resolve().parent / "histories"


async def full_ladder_then_a_normal_life(lc: Lifecycle) -> str:
    """Dispatch ladder to level 3, then dispatch, accept, extension granted, contact, resolve, rating window expires."""
    t = await lc.file()
    await eventually(lambda: len(lc.of(t, "dispatch", "escalated")) == 3, what="dispatch level 3")
    request = extension_requested(t, 2.0)
    await lc.send(dispatched(t), accepted(t), request, extension_granted(t, request), contacted(t))
    await eventually(lambda: len(lc.of(t, "resolve", "warned")) == 1, what="resolve warning")
    await lc.send(resolved(t))
    await asyncio.wait_for(lc.handle(t).result(), timeout=RATING_S + 15)
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
    await eventually(lambda: len(lc.of(t, "dispatch", "escalated")) >= 1, what="joint dispatch level 1")
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


SCENARIOS: dict[str, Callable[[Lifecycle], Awaitable[str]]] = {
    "full_ladder_then_a_normal_life": full_ladder_then_a_normal_life,
    "returned_reopened_joint_suspended_merged": returned_reopened_joint_suspended_merged,
    "duplicates_refusal_and_closing": duplicates_refusal_and_closing,
}


async def record(address: str, paths: dict[str, Path]) -> None:
    client = await Client.connect(address)
    async with running_lifecycle(client) as lc:
        ticket_ids = await asyncio.gather(*(scenario(lc) for scenario in SCENARIOS.values()))
    for name, ticket_id in zip(SCENARIOS, ticket_ids):
        history = await client.get_workflow_handle(ticket_id).fetch_history()
        with paths[name].open("x", encoding="utf-8") as f:  # never overwrite a recorded history
            f.write(json.dumps(history.to_json_dict(), indent=1, ensure_ascii=False) + "\n")
        print(f"{paths[name].relative_to(REPO_ROOT)}: {len(history.events)} events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", help="a running Temporal server (default: start an in-memory dev server)")
    parser.add_argument("--prefix", default=datetime.now(timezone.utc).strftime("%Y-%m-%d_"), help="file name prefix")
    args = parser.parse_args()
    paths = {name: HISTORIES / f"{args.prefix}{name}.json" for name in SCENARIOS}
    if taken := [str(p) for p in paths.values() if p.exists()]:
        sys.exit(f"refusing to overwrite recorded histories (append-only): {', '.join(taken)}; pass another --prefix")
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
