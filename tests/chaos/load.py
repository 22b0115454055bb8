"""The chaos load: residents file, community staff dispatch, departments accept and resolve, all over HTTP, the way a
careful client does it: a 5xx or a broken connection is retried (a filing with the same Idempotency-Key), and only a
2xx counts as acknowledged. Every answer is recorded with its time, so 5xx can be counted per fault window.

One ticket in five is filed in `property` (the test policy's 4-second dispatch deadline) and left undispatched: its
warning (催办) and escalation (督办) must fire whatever is killed meanwhile.
"""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field

import httpx

from libs.auth import Principal, mint_token

COMMUNITIES = ("xinran", "shiliuqiao", "jiamenkou")
ROUTE = {"road": "urban", "water_supply": "water", "noise": "police"}
DEADLINE_CATEGORY = "property"


def headers(role: str, sub: str, **scope: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(Principal(sub=sub, role=role, **scope))}"}


@dataclass
class Ticket:
    n: int
    community: str
    category: str
    filer: str
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    id: str | None = None
    acked: list[str] = field(default_factory=list)  # filed, dispatched, accepted, resolved (2xx, or a 409 replay)
    gave_up: str | None = None

    @property
    def department(self) -> str | None:
        return ROUTE.get(self.category)

    @property
    def deadline_ticket(self) -> bool:
        return self.category == DEADLINE_CATEGORY


@dataclass
class Answer:
    at: float
    service: str
    status: int  # 0: no answer (connection refused or reset, timeout)


class Load:
    def __init__(self, urls: dict[str, str], *, rate: float = 2.0, seed: int = 0, give_up_after: float = 240) -> None:
        self.urls = urls
        self.rate = rate
        self.rng = random.Random(seed)
        self.give_up_after = give_up_after
        self.tickets: list[Ticket] = []
        self.answers: list[Answer] = []
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(30.0), limits=httpx.Limits(max_connections=50))

    async def _request(self, service: str, method: str, path: str, hdrs: dict, body: dict | None = None,
                       ok=(200, 201), done=()) -> tuple[str, dict | None]:
        """Retry until a 2xx ('ok'), or a status in `done` after an unanswered try ('done'); 'gave up' otherwise."""
        deadline = time.monotonic() + self.give_up_after
        unanswered = False
        while time.monotonic() < deadline:
            try:
                response = await self.client.request(method, f"{self.urls[service]}{path}", headers=hdrs, json=body)
            except (httpx.TransportError, httpx.TimeoutException):
                self.answers.append(Answer(time.monotonic(), service, 0))
                unanswered = True
                await asyncio.sleep(0.5)
                continue
            self.answers.append(Answer(time.monotonic(), service, response.status_code))
            if response.status_code in ok:
                return "ok", response.json()
            if response.status_code in done and unanswered:
                return "done", None  # the earlier, unanswered try did it (e.g. dispatched before the kill)
            if response.status_code >= 500 or response.status_code == 404:
                unanswered = unanswered or response.status_code >= 500
                await asyncio.sleep(0.5)  # 404: not consumed yet; 5xx: an outage
                continue
            raise AssertionError(f"{method} {service}{path}: {response.status_code} {response.text[:300]}")
        return "gave up", None

    async def _life(self, t: Ticket) -> None:
        try:
            await self._steps(t)
        except AssertionError as exc:  # an answer no careful client expects (4xx other than a replayed 409)
            t.gave_up = f"refused: {exc}"

    async def _steps(self, t: Ticket) -> None:
        resident = headers("resident", t.filer, community_id=t.community)
        outcome, body = await self._request(
            "intake", "POST", "/tickets", {**resident, "Idempotency-Key": t.key},
            {"title": f"混沌测试 {t.n}", "description": "chaos load ticket", "category": t.category, "community_id": t.community},
        )
        if outcome != "ok":
            t.gave_up = "file"
            return
        t.id = body["id"]
        t.acked.append("filed")
        if t.deadline_ticket:
            return
        staff = headers("community_staff", f"chaos-s-{t.community}", community_id=t.community)
        dept = headers("department_staff", f"chaos-d-{t.department}", department_id=t.department)
        steps = [
            ("dispatched", "dispatch", f"/tickets/{t.id}/dispatch", staff, {"department_id": t.department}),
            ("accepted", "department", f"/tickets/{t.id}/accept", dept, None),
            ("resolved", "department", f"/tickets/{t.id}/resolve", dept, {"note": "已处理"}),
        ]
        for name, service, path, hdrs, body in steps:
            if self._stop.is_set() and self.rng.random() < 0.5:
                return  # wind down: leave some tickets mid-life
            outcome, _ = await self._request(service, "POST", path, hdrs, body, done=(409,))
            if outcome == "gave up":
                t.gave_up = name
                return
            t.acked.append(name)

    async def run(self) -> None:
        """File about `rate` tickets a second until stop(); each ticket's life runs as its own task."""
        n = 0
        while not self._stop.is_set():
            category = DEADLINE_CATEGORY if n % 5 == 4 else self.rng.choice(list(ROUTE))
            t = Ticket(n=n, community=COMMUNITIES[n % len(COMMUNITIES)], category=category, filer=f"chaos-r{n % 40}")
            self.tickets.append(t)
            task = asyncio.create_task(self._life(t))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            n += 1
            await asyncio.sleep(self.rng.expovariate(self.rate))

    async def stop(self) -> None:
        """Stop filing and wait for every ticket's life to end (acknowledged or given up)."""
        self._stop.set()
        if self._tasks:
            await asyncio.gather(*list(self._tasks))
        await self.client.aclose()

    def server_errors_between(self, start: float, end: float) -> dict[str, int]:
        window = [a for a in self.answers if start <= a.at <= end]
        return {"5xx": sum(a.status >= 500 for a in window), "no_answer": sum(a.status == 0 for a in window),
                "5xx_other_than_503": sum(a.status >= 500 and a.status != 503 for a in window), "requests": len(window)}
