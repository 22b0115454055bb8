"""The worker's /readyz (workflows/worker_http.py) and the bridge's test-only fault point (bridge.halted_for_tests),
without servers. The real thing under Kafka and Temporal: tests/integration/test_bridge_kill.py and
test_bridge_temporal_down.py."""
from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from libs.events import Actor, TicketAccepted, TicketDispatched
from workflows.ticket_lifecycle.bridge import halted_for_tests
from workflows.worker_http import BridgeReadiness, app, probe_temporal

DEPT = Actor(role="department_staff", id="dept-1")


def get(wsgi, path: str) -> tuple[str, str]:  # noqa: ANN001
    answer: dict[str, str] = {}

    def start_response(status: str, headers: list) -> None:  # noqa: ARG001
        answer["status"] = status

    body = b"".join(wsgi({"PATH_INFO": path, "REQUEST_METHOD": "GET", "QUERY_STRING": ""}, start_response))
    return answer["status"], body.decode()


def test_readyz_is_503_until_the_bridge_consumes_and_while_it_waits_out_an_outage() -> None:
    readiness = BridgeReadiness()
    wsgi = app("workflows", readiness)
    status, body = get(wsgi, "/readyz")
    assert status.startswith("503") and json.loads(body) == {"status": "not ready", "service": "workflows", "problems": {"bridge": "not consuming yet"}}
    readiness.consumer = SimpleNamespace(blocked_by=None)  # type: ignore[assignment]
    status, body = get(wsgi, "/readyz")
    assert status.startswith("200") and json.loads(body)["status"] == "ready"
    readiness.consumer.blocked_by = "RPCError: tcp connect error"  # type: ignore[union-attr]
    status, body = get(wsgi, "/readyz")
    assert status.startswith("503") and "RPCError: tcp connect error" in json.loads(body)["problems"]["bridge"]
    status, body = get(wsgi, "/healthz")  # alive all the same
    assert status.startswith("200") and json.loads(body)["status"] == "ok"


async def test_a_failing_temporal_health_check_is_a_readyz_problem_even_while_the_bridge_is_idle() -> None:
    readiness, stop = BridgeReadiness(), asyncio.Event()
    readiness.consumer = SimpleNamespace(blocked_by=None)  # type: ignore[assignment]  # consuming, nothing in hand
    answers = iter([True, ConnectionError("tcp connect error"), False, True])
    seen: list[dict] = []

    async def check() -> bool:
        seen.append(readiness.problems())  # what /readyz said before this check
        answer = next(answers)
        if len(seen) == 4:
            stop.set()
        if isinstance(answer, Exception):
            raise answer
        return answer

    await asyncio.wait_for(probe_temporal(check, readiness, stop, every=0), 10)
    assert seen == [{}, {}, {"temporal": "ConnectionError: tcp connect error"}, {"temporal": "temporal is not serving"}]
    assert readiness.problems() == {}  # the last check passed
    status, body = get(app("workflows", readiness), "/readyz")
    assert status.startswith("200")
    readiness.temporal_error = "ConnectionError: tcp connect error"
    status, body = get(app("workflows", readiness), "/readyz")
    assert status.startswith("503") and json.loads(body)["problems"] == {"temporal": "ConnectionError: tcp connect error"}


def test_metrics_are_still_served_beside_readyz() -> None:
    status, body = get(app("workflows", BridgeReadiness()), "/metrics")
    assert status.startswith("200") and "whistle_consumer_lag_seconds" in body and "whistle_consumer_blocked" in body


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, event) -> None:  # noqa: ANN001
        self.seen.append(event.type)


def handlers() -> tuple[dict, Recorder, Recorder]:
    dispatched, accepted = Recorder(), Recorder()
    return {TicketDispatched: dispatched, TicketAccepted: accepted}, dispatched, accepted


async def settle() -> None:
    for _ in range(20):  # a handful of loop turns: the recorders finish in one
        await asyncio.sleep(0)


def test_without_the_variable_the_handlers_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WHISTLE_TEST_BRIDGE_HALT", raising=False)
    table, _, _ = handlers()
    assert halted_for_tests(table) is table
    monkeypatch.setenv("WHISTLE_ENV", "production")
    assert halted_for_tests(table, "before:TicketAccepted") is table  # never in production


@pytest.mark.parametrize("when, signalled", [("before", []), ("after", ["TicketAccepted"])])
async def test_the_halt_holds_the_event_before_or_after_its_handler_and_never_returns(
    when: str, signalled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WHISTLE_ENV", raising=False)
    table, dispatched, accepted = handlers()
    halted = halted_for_tests(table, f"{when}:TicketAccepted")
    assert halted[TicketDispatched] is dispatched and asyncio.iscoroutinefunction(halted[TicketAccepted])
    task = asyncio.create_task(halted[TicketAccepted](TicketAccepted(ticket_id="T-1", actor=DEPT, department_id="D-1")))
    await settle()
    assert accepted.seen == signalled and not task.done()  # held: its offset is never committed
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("setting", ["during:TicketAccepted", "before:TicketRated", "TicketAccepted"])
def test_a_setting_that_names_no_handled_event_is_refused(setting: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WHISTLE_ENV", raising=False)
    with pytest.raises(ValueError, match="WHISTLE_TEST_BRIDGE_HALT"):
        halted_for_tests(handlers()[0], setting)
