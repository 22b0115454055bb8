"""After the chaos: prove that every acknowledged effect is in every view, nothing valid was dead-lettered, nothing was
applied twice, every due deadline fired, no workflow is missing and nothing is stuck in an outbox.

`settle()` waits (bounded) for the views to converge, then `report()` counts what is still wrong:
- lost: an acknowledged step whose effect a view (intake, dispatch, department, feedback) does not show;
- missing_workflow: an acknowledged filing without its TicketWorkflow in Temporal;
- deadline_missed: a `property` ticket without its 催办 (DeadlineWarned) and 督办 levels 1-3 on the topic;
- duplicated: the dashboard counting more filings (or more of a status) than the tickets that exist;
- dead_lettered: anything on the dead-letter topic (the load sends only valid requests);
- stuck: outbox rows never published, once everything has settled.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text
from temporalio.client import Client
from temporalio.service import RPCError

from deploy.stack import SERVICES
from libs.events import DeadlineWarned, EventDecodeError, TicketEscalated, decode_event, topic_name
from libs.messaging.dlq import read_dead_letters
from tests.chaos.load import Ticket, headers

ORDER = ("filed", "dispatched", "accepted", "resolved")
RANK = {name: i for i, name in enumerate(ORDER)}


UNREACHABLE = "unreachable"  # no answer (connection or time-out): not proof of absence, asked again on the next pass
CONCURRENT_READS = 16  # one pass over thousands of tickets must not queue past the client's pool time-out


async def _status(client: httpx.AsyncClient, url: str, hdrs: dict) -> str | None:
    try:
        response = await client.get(url, headers=hdrs)
    except httpx.HTTPError:
        return UNREACHABLE
    return response.json().get("status") if response.status_code == 200 else None


async def view_problems(client: httpx.AsyncClient, urls: dict[str, str], t: Ticket) -> list[str]:
    """What the views miss of this ticket's acknowledged steps (empty: all there)."""
    expected = RANK[t.acked[-1]]
    resident = headers("resident", t.filer, community_id=t.community)
    staff = headers("community_staff", f"chaos-s-{t.community}", community_id=t.community)
    checks = [("intake", f"{urls['intake']}/tickets/{t.id}", resident), ("dispatch", f"{urls['dispatch']}/tickets/{t.id}", staff)]
    if expected >= RANK["dispatched"]:
        dept = headers("department_staff", f"chaos-d-{t.department}", department_id=t.department)
        checks.append(("department", f"{urls['department']}/tickets/{t.id}", dept))
    problems = []
    for view, url, hdrs in checks:
        status = await _status(client, url, hdrs)
        if status is None or status == UNREACHABLE or RANK.get(status, 99) < expected:
            problems.append(f"{view}: {status or 'absent'} < {t.acked[-1]}")
    if expected >= RANK["resolved"]:
        status = await _status(client, f"{urls['feedback']}/tickets/{t.id}", resident)
        if status is None or status == UNREACHABLE:
            problems.append(f"feedback: {status or 'absent'}")
    return problems


async def settle(urls: dict[str, str], tickets: list[Ticket], timeout: float = 240) -> dict[str, list[str]]:
    """Poll until every acknowledged ticket's views agree (or timeout); {ticket id: problems} still open."""
    acked = [t for t in tickets if t.id and t.acked]
    open_: dict[str, list[str]] = {}
    deadline = time.monotonic() + timeout
    gate = asyncio.Semaphore(CONCURRENT_READS)

    async def problems_of(client: httpx.AsyncClient, t: Ticket) -> list[str]:
        async with gate:
            return await view_problems(client, urls, t)

    limits = httpx.Limits(max_connections=CONCURRENT_READS * 4)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        pending = acked
        while pending:
            results = await asyncio.gather(*(problems_of(client, t) for t in pending))
            open_ = {t.id: p for t, p in zip(pending, results) if p}
            pending = [t for t in pending if t.id in open_]
            if not pending or time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
    return open_


async def missing_workflows(temporal_address: str, tickets: list[Ticket]) -> list[str]:
    client = await Client.connect(temporal_address)
    missing = []
    for t in tickets:
        if not (t.id and t.acked):
            continue
        try:
            await client.get_workflow_handle(t.id).describe()
        except RPCError:
            missing.append(t.id)
    return missing


async def deadline_events(bootstrap: str) -> dict[str, set[str]]:
    """{ticket id: {'warned', 'level1', 'level2', 'level3'}} for the dispatch stage, from the tickets topic."""
    topic = topic_name("tickets")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    seen: dict[str, set[str]] = defaultdict(set)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not tps:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for r in records:
                    try:
                        event = decode_event(r.value or b"")
                    except EventDecodeError:
                        continue
                    if isinstance(event, DeadlineWarned) and event.stage == "dispatch":
                        seen[event.ticket_id].add("warned")
                    elif isinstance(event, TicketEscalated) and event.stage == "dispatch":
                        seen[event.ticket_id].add(f"level{event.level}")
    finally:
        await consumer.stop()
    return seen


def outbox_backlog(database_url: str) -> dict[str, int]:
    base = database_url.rsplit("/", 1)[0]
    backlog = {}
    for service in SERVICES:
        engine = create_engine(f"{base}/whistle_{service}")
        try:
            with engine.connect() as conn:
                backlog[service] = conn.execute(text("select count(*) from outbox where sent_at is null")).scalar()
        except Exception:  # noqa: BLE001 - the portal has no outbox
            pass
        finally:
            engine.dispose()
    return backlog


async def dashboard_counts(urls: dict[str, str]) -> dict:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{urls['dashboard']}/summary?period=all", headers=headers("leader", "chaos-leader"))
        response.raise_for_status()
        return response.json()


async def dashboard_settled(urls: dict[str, str], acknowledged: int, timeout: float) -> tuple[dict, float]:
    """The dashboard's summary once it counts every acknowledged filing (or at `timeout`), and the seconds it took.
    The dashboard is a read model fed by the same events as the other views, but it was not among them in `settle`:
    on a slow machine it can still be catching up (a restarted intake publishing its backlog) when they agree."""
    t0 = time.monotonic()
    while True:
        try:
            summary = await dashboard_counts(urls)
        except httpx.HTTPError:
            summary = {"filed": -1}
        if summary["filed"] >= acknowledged or time.monotonic() - t0 > timeout:
            return summary, round(time.monotonic() - t0, 1)
        await asyncio.sleep(2)


async def dashboard_lag(urls: dict[str, str]) -> dict[str, float]:
    """The dashboard's consumer lag per topic and partition from its /metrics (why it is behind, if it is)."""
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            text_ = (await client.get(f"{urls['dashboard']}/metrics")).text
    except httpx.HTTPError as exc:
        return {"unreachable": str(exc)[:100]}  # type: ignore[dict-item]
    return {line.split("{", 1)[1].split("}", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text_.splitlines() if line.startswith("whistle_consumer_lag{") and not line.endswith(" 0.0")}


async def report(urls: dict[str, str], bootstrap: str, temporal_address: str, database_url: str,
                 tickets: list[Ticket], settle_timeout: float = 240) -> dict:
    t0 = time.monotonic()
    unsettled = await settle(urls, tickets, settle_timeout)
    acked = [t for t in tickets if t.id and t.acked]
    deadline_wanted = {"warned", "level1", "level2", "level3"}
    wait_until = time.monotonic() + 60  # the last property tickets need ~8 s for their ladder
    while True:
        fired = await deadline_events(bootstrap)
        missed = [t.id for t in acked if t.deadline_ticket and not deadline_wanted <= fired.get(t.id, set())]
        if not missed or time.monotonic() > wait_until:
            break
        await asyncio.sleep(3)
    workflows = await missing_workflows(temporal_address, tickets)
    letters = await read_dead_letters(bootstrap)
    summary, dashboard_wait = await dashboard_settled(urls, len(acked), max(60.0, settle_timeout - (time.monotonic() - t0)))
    exist_max = len(acked) + sum(1 for t in tickets if t.gave_up == "file")  # a filing given up on may exist
    statuses = Counter(t.acked[-1] for t in acked)
    duplicated = max(summary["filed"] - exist_max, 0)
    return {
        "tickets_started": len(tickets),
        "acknowledged_filings": len(acked),
        "acknowledged_steps": dict(statuses),
        "gave_up": dict(Counter((t.gave_up or "").split(":")[0] for t in tickets if t.gave_up)),
        "refused_examples": [t.gave_up[:300] for t in tickets if (t.gave_up or "").startswith("refused")][:5],
        "lost": len(unsettled),
        "lost_examples": dict(list(unsettled.items())[:5]),
        "missing_workflows": len(workflows),
        "deadline_tickets": sum(1 for t in acked if t.deadline_ticket),
        "deadline_missed": len(missed),
        "dead_lettered": len(letters),
        "dead_letter_examples": [d.summary() for d in letters[:3]],
        "dashboard_filed": summary["filed"],
        "dashboard_settle_seconds": dashboard_wait,
        "dashboard_lag": await dashboard_lag(urls) if summary["filed"] < len(acked) else {},
        "duplicated": duplicated,
        "stuck_outbox_rows": sum(outbox_backlog(database_url).values()),
        "settle_seconds": round(time.monotonic() - t0, 1),
    }


def passed(result: dict) -> bool:
    return (result["lost"] == result["missing_workflows"] == result["deadline_missed"] == result["dead_lettered"]
            == result["duplicated"] == result["stuck_outbox_rows"] == 0 and result["dashboard_filed"] >= result["acknowledged_filings"])
