"""Intake under load: sustained filings/s and POST latency per channel, with the rest of the system running.

    .venv/bin/python bench/intake.py                  # starts its own stack (SQLite, as `make run`)
    .venv/bin/python bench/intake.py --postgres       # ... on a throwaway PostgreSQL
    .venv/bin/python bench/intake.py --channels web --seconds 20

For each channel it first finds the capacity (closed loop: as many filings as `--concurrency` clients can push in
`--seconds`), then offers an open-loop load at 50 %, 80 % and 100 % of it for `--seconds` each, sending on a fixed
schedule and timing each POST from when it was *due*, so a stalled server shows as latency rather than as fewer
requests (no coordinated omission). The load generator runs on the same 2 cores as the system it measures.

Prints a table and writes bench/results/intake-<backend>.json with the commit it measured.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import platform
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from libs.auth import Principal, mint_token  # noqa: E402

COMMUNITIES = ["xinran", "shiliuqiao", "jiamenkou"]
CATEGORIES = ["road", "garbage", "water_supply", "property", "noise"]
TARGET_RATE, TARGET_P99_MS = 200, 50  # the target: p99 under 50 ms at 200 filings/s


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@dataclass
class Channel:
    """How to send one filing through a channel: `send(client, n)` returns the HTTP status, or for a channel that
    needs several requests per filing (WeChat's conversation) a list of (status, seconds) per request."""

    name: str
    send: Callable[[httpx.AsyncClient, int], Awaitable[int | list[tuple[int, float]]]]
    ok: frozenset[int] = frozenset({200, 201})


def web_channel(urls: dict) -> Channel:
    tokens = {
        c: {"Authorization": f"Bearer {mint_token(Principal(sub=f'bench-web-{c}', role='resident', community_id=c))}"}
        for c in COMMUNITIES
    }

    async def send(client: httpx.AsyncClient, n: int) -> int:
        community = COMMUNITIES[n % len(COMMUNITIES)]
        response = await client.post(
            f"{urls['intake']}/tickets",
            headers={**tokens[community], "Idempotency-Key": uuid.uuid4().hex},
            json={"title": f"压测诉求 {n}", "description": "bench intake ticket", "category": CATEGORIES[n % 5], "community_id": community},
        )
        return response.status_code

    return Channel("web", send)


async def open311_channel(urls: dict, client: httpx.AsyncClient) -> Channel:
    admin = {"Authorization": f"Bearer {mint_token(Principal(sub='bench-admin', role='admin'))}"}
    issued = await client.post(
        f"{urls['intake']}/admin/open311/keys", headers=admin, json={"client_id": f"bench-{uuid.uuid4().hex[:6]}", "client_name": "压测"}
    )
    issued.raise_for_status()
    api_key = issued.json()["api_key"]

    async def send(client: httpx.AsyncClient, n: int) -> int:
        response = await client.post(
            f"{urls['intake']}/open311/v2/requests.json",
            data={
                "api_key": api_key,
                "service_code": CATEGORIES[n % 5],
                "lat": str(39.74 + (n % 100) * 0.0002),
                "long": str(116.14 + (n % 100) * 0.0002),
                "description": f"压测 Open311 诉求 {n} {uuid.uuid4().hex}",
            },
        )
        return response.status_code

    return Channel("open311", send)


def wechat_channel(urls: dict) -> Channel:
    """A whole WeChat conversation per filing (plain mode, signed with the configured token): category 1, the
    description, 跳过 the photo, then the position, which files the ticket. Each message is one timed POST."""
    from services.intake.channels.wechat import WechatSettings

    token = WechatSettings().token

    def xml(openid: str, msg_id: int, body: str, now: str) -> bytes:
        return (
            f"<xml><ToUserName><![CDATA[gh_whistle]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{now}</CreateTime>{body}<MsgId>{msg_id}</MsgId></xml>"
        ).encode()

    async def send(client: httpx.AsyncClient, n: int) -> list[tuple[int, float]]:
        openid, base = f"bench-{uuid.uuid4().hex[:12]}", uuid.uuid4().int % 10**15
        steps = [
            "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[1]]></Content>",
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[压测 {n}：小区门口路灯不亮，晚上很黑]]></Content>",
            "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[跳过]]></Content>",
            f"<MsgType><![CDATA[location]]></MsgType><Location_X>{39.745 + (n % 50) * 0.0001}</Location_X>"
            f"<Location_Y>{116.145 + (n % 50) * 0.0001}</Location_Y><Scale>16</Scale><Label><![CDATA[长阳镇]]></Label>",
        ]
        answers = []
        for i, body in enumerate(steps):
            started = time.perf_counter()
            timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
            signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
            response = await client.post(
                f"{urls['intake']}/channels/wechat",
                params={"signature": signature, "timestamp": timestamp, "nonce": nonce},
                content=xml(openid, base + i, body, timestamp),
                headers={"Content-Type": "text/xml"},
            )
            answers.append((response.status_code, time.perf_counter() - started))
        filed = "工单号" in response.text
        return answers if filed else [*answers[:-1], (599, answers[-1][1])]  # 599: the conversation filed nothing

    return Channel("wechat", send, ok=frozenset({200}))


@dataclass
class Run:
    offered_per_s: float
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def row(self, channel: Channel, label: str) -> dict:
        good = sum(n for code, n in self.statuses.items() if code in channel.ok)
        return {
            "channel": channel.name,
            "load": label,
            "offered_per_s": round(self.offered_per_s, 1),
            "achieved_per_s": round(good / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": round(pct(self.latencies_ms, 0.5), 1),
            "p99_ms": round(pct(self.latencies_ms, 0.99), 1),
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": len(self.errors),
        }


async def _timed(run: Run, channel: Channel, client: httpx.AsyncClient, n: int, due: float) -> None:
    """One filing; its status counts once (the last request's), every request's latency is a sample."""
    started = time.perf_counter()
    try:
        sent = await channel.send(client, n)
    except Exception as exc:  # noqa: BLE001 - counted and reported; the run goes on
        run.errors.append(f"{type(exc).__name__}: {exc}")
        return
    if isinstance(sent, int):
        run.statuses[sent] = run.statuses.get(sent, 0) + 1
        run.latencies_ms.append((time.perf_counter() - due) * 1000)
        return
    code = sent[-1][0]
    run.statuses[code] = run.statuses.get(code, 0) + 1
    late = started - due  # the first request waited for the schedule too
    run.latencies_ms.extend((seconds + (late if i == 0 else 0)) * 1000 for i, (_, seconds) in enumerate(sent))


async def closed_loop(channel: Channel, client: httpx.AsyncClient, concurrency: int, seconds: float, start_n: int) -> Run:
    """Capacity: `concurrency` clients back to back for `seconds`."""
    run, stop = Run(0, seconds), time.perf_counter() + seconds
    counter = iter(range(start_n, start_n + 10**9))

    async def client_loop() -> None:
        while time.perf_counter() < stop:
            await _timed(run, channel, client, next(counter), time.perf_counter())

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    run.elapsed = time.perf_counter() - started
    good = sum(n for code, n in run.statuses.items() if code in channel.ok)
    run.offered_per_s = good / run.elapsed
    return run


async def open_loop(channel: Channel, client: httpx.AsyncClient, rate: float, seconds: float, start_n: int) -> Run:
    """`rate` filings/s on a fixed schedule for `seconds`; latency measured from each request's due time."""
    run, interval, total = Run(rate, seconds), 1.0 / rate, max(1, int(rate * seconds))
    started = time.perf_counter()
    tasks = []
    for i in range(total):
        due = started + i * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_timed(run, channel, client, start_n + i, due)))
    await asyncio.gather(*tasks)
    run.elapsed = time.perf_counter() - started
    return run


async def drive(urls: dict, names: list[str], concurrency: int, seconds: float) -> list[dict]:
    rows: list[dict] = []
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        channels = {"web": lambda: web_channel(urls), "wechat": lambda: wechat_channel(urls)}
        n = 0
        for name in names:
            channel = await open311_channel(urls, client) if name == "open311" else channels[name]()
            capacity = await closed_loop(channel, client, concurrency, seconds, n)
            n += 10**6
            rows.append(capacity.row(channel, f"capacity (closed loop, {concurrency} clients)"))
            print(_fmt(rows[-1]), flush=True)
            for share in (0.5, 0.8, 1.0):
                rate = max(1.0, capacity.offered_per_s * share)
                run = await open_loop(channel, client, rate, seconds, n)
                n += 10**6
                rows.append(run.row(channel, f"{int(share * 100)} % of capacity"))
                print(_fmt(rows[-1]), flush=True)
            if capacity.offered_per_s < TARGET_RATE:
                run = await open_loop(channel, client, TARGET_RATE, seconds, n)
                n += 10**6
                rows.append(run.row(channel, f"target {TARGET_RATE}/s"))
                print(_fmt(rows[-1]), flush=True)
    return rows


HEADER = f"{'channel':8} {'load':34} {'offered/s':>9} {'done/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses"


def _fmt(row: dict) -> str:
    return (
        f"{row['channel']:8} {row['load']:34} {row['offered_per_s']:9.1f} {row['achieved_per_s']:8.1f} "
        f"{row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['max_ms']:8.1f}  {row['statuses']}"
        + (f" errors={row['errors']}" if row["errors"] else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", default="web,open311,wechat", help="comma-separated: web, open311, wechat")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each load step")
    parser.add_argument("-c", "--concurrency", type=int, default=32, help="clients of the capacity step")
    parser.add_argument("--postgres", action="store_true", help="run the services on a throwaway PostgreSQL")
    args = parser.parse_args()
    names = [n.strip() for n in args.channels.split(",") if n.strip()]

    from bench.stack import bench_stack

    backend = "postgres" if args.postgres else "sqlite"
    with bench_stack(postgres=args.postgres, prefix="whistle-bench-intake-", env=BENCH_ENV) as urls:
        print(f"\nWhistle intake benchmark — backend {backend}, {args.seconds:.0f} s per step\n{HEADER}", flush=True)
        rows = asyncio.run(drive(urls, names, args.concurrency, args.seconds))

    out = REPO / "bench" / "results" / f"intake-{backend}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "intake",
                "backend": backend,
                "commit": commit(),
                "seconds_per_step": args.seconds,
                "target": {"filings_per_s": TARGET_RATE, "p99_ms": TARGET_P99_MS},
                "rows": rows,
                "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"wrote {out.relative_to(REPO)}")


# The bench's clients all come from 127.0.0.1 with a few phones: the abuse limits would answer 429 to most of them.
BENCH_ENV = {"INTAKE_RATE_PER_PHONE": "off", "INTAKE_RATE_PER_IP": "off"}

if __name__ == "__main__":
    main()
