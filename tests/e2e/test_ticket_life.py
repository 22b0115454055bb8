"""Every process started as `make run` starts them; one ticket lives its whole life over HTTP only."""
from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from libs.auth import Principal, mint_token

RESIDENT = Principal(sub="r-e2e", role="resident", name="张阿姨", community_id="xinran")
COMMUNITY = Principal(sub="s-xinran", role="community_staff", community_id="xinran")
DEPARTMENT = Principal(sub="d-urban", role="department_staff", department_id="urban")
OTHER_DEPARTMENT = Principal(sub="d-water", role="department_staff", department_id="water")
LEADER = Principal(sub="leader", role="leader")


def auth(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal)}"}


# Bounds for polling, generous for a loaded 2-core machine: a passing test returns as soon as its condition holds,
# so only a failing one ever waits this long. No test asserts how quickly something happens.
CONVERGE_TIMEOUT = 120.0  # an event crossing Kafka into another service's view
DEADLINE_TIMEOUT = 180.0  # a short deadline passing, the workflow's timer firing, and its event reaching a view


def eventually(check, timeout: float = CONVERGE_TIMEOUT, what: str = "condition"):
    """Poll `check` until it returns a truthy value; events cross Kafka, so views converge, not instantly."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")


def find(tickets: list[dict], ticket_id: str) -> dict | None:
    return next((t for t in tickets if t["id"] == ticket_id), None)


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(timeout=30) as client:
        yield client


async def workflow_status(stack, ticket_id: str):
    client = await Client.connect(stack.temporal_address, namespace=stack.env().get("TEMPORAL_NAMESPACE", "default"))
    return (await client.get_workflow_handle(ticket_id).describe()).status


def test_one_ticket_lives_its_whole_life_over_http(stack, http):
    urls = stack.urls
    before = http.get(f"{urls['dashboard']}/summary", headers=auth(LEADER)).json()

    filed = http.post(
        f"{urls['intake']}/tickets",
        headers={**auth(RESIDENT), "Idempotency-Key": uuid.uuid4().hex},
        json={"title": "小区门口路面塌陷", "description": "3号楼南侧人行道塌陷约半米", "category": "road", "contact_phone": "13812345678"},
    )
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]

    # 社区转哨: the ticket reaches the community's queue with the proposed department.
    queued = eventually(
        lambda: find(http.get(f"{urls['dispatch']}/tickets", headers=auth(COMMUNITY)).json(), ticket_id),
        what="ticket in the community queue",
    )
    assert queued["proposed_department_id"] == "urban"
    assert queued["reporter_phone_masked"] == "138****5678"
    # 时限: the workflow announces the dispatch deadline; the console and the resident see it.
    queued = eventually(
        lambda: (t := find(http.get(f"{urls['dispatch']}/tickets", headers=auth(COMMUNITY)).json(), ticket_id))["deadlines"] and t,
        what="the dispatch deadline on the console",
    )
    assert [d["stage"] for d in queued["deadlines"]] == ["dispatch"] and queued["next_due"] == queued["deadlines"][0]["due"]
    assert queued["deadlines"][0]["warn_at"] < queued["deadlines"][0]["due"]
    mine = eventually(
        lambda: (t := http.get(f"{urls['intake']}/tickets/{ticket_id}", headers=auth(RESIDENT)).json())["deadlines"] and t,
        what="the dispatch deadline for the resident",
    )
    assert mine["deadlines"] == queued["deadlines"]
    dispatched = http.post(
        f"{urls['dispatch']}/tickets/{ticket_id}/dispatch", headers=auth(COMMUNITY), json={"department_id": "urban", "note": "请尽快处理"}
    )
    assert dispatched.status_code == 200, dispatched.text

    # 部门办哨: only the right department sees it.
    eventually(
        lambda: find(http.get(f"{urls['department']}/tickets", headers=auth(DEPARTMENT)).json(), ticket_id),
        what="ticket in the department worklist",
    )
    assert find(http.get(f"{urls['department']}/tickets", headers=auth(OTHER_DEPARTMENT)).json(), ticket_id) is None
    held = eventually(
        lambda: len((t := http.get(f"{urls['department']}/tickets/{ticket_id}", headers=auth(DEPARTMENT)).json())["deadlines"]) == 2 and t,
        what="accept and resolve deadlines on the department's ticket",
    )
    assert [d["stage"] for d in held["deadlines"]] == ["accept", "resolve"]  # earliest first
    assert http.post(f"{urls['department']}/tickets/{ticket_id}/accept", headers=auth(OTHER_DEPARTMENT)).status_code == 404
    assert http.post(f"{urls['department']}/tickets/{ticket_id}/resolve", headers=auth(DEPARTMENT), json={"note": "x" * 5}).status_code == 409
    assert http.post(f"{urls['department']}/tickets/{ticket_id}/accept", headers=auth(DEPARTMENT)).status_code == 200
    again = http.post(f"{urls['department']}/tickets/{ticket_id}/accept", headers=auth(DEPARTMENT))
    assert again.status_code == 409 and "cannot become accepted" in again.json()["detail"]
    resolved = http.post(
        f"{urls['department']}/tickets/{ticket_id}/resolve", headers=auth(DEPARTMENT), json={"note": "已修复路面并设置警示标志"}
    )
    assert resolved.status_code == 200, resolved.text

    # 评价: the resident rates, which closes the ticket.
    eventually(
        lambda: find(http.get(f"{urls['feedback']}/tickets/awaiting-rating", headers=auth(RESIDENT)).json(), ticket_id),
        what="ticket awaiting rating",
    )
    rated = http.post(
        f"{urls['feedback']}/tickets/{ticket_id}/rating", headers=auth(RESIDENT), json={"satisfaction": "satisfied", "solved": True}
    )
    assert rated.status_code == 200 and rated.json()["status"] == "closed", rated.text

    mine = eventually(
        lambda: (t := http.get(f"{urls['intake']}/tickets/{ticket_id}", headers=auth(RESIDENT)).json())["status"] == "closed" and t,
        what="resident sees the ticket closed",
    )
    assert [e["event_type"] for e in mine["timeline"]] == [
        "TicketFiled", "TicketDispatched", "TicketAccepted", "TicketResolved", "TicketRated", "TicketClosed",
    ]

    def dashboard_counted():
        now = http.get(f"{urls['dashboard']}/summary", headers=auth(LEADER)).json()
        return now if now["by_status"].get("closed", 0) == before["by_status"].get("closed", 0) + 1 else None

    after = eventually(dashboard_counted, what="dashboard counts the closed ticket")
    assert after["filed"] == before["filed"] + 1
    assert after["rated"] == before["rated"] + 1
    assert after["rates"]["satisfaction_rate"] is not None and after["rates"]["response_rate"] is not None

    status = eventually(
        lambda: (s := asyncio.run(workflow_status(stack, ticket_id))) == WorkflowExecutionStatus.COMPLETED and s,
        what="Temporal workflow completed",
    )
    assert status == WorkflowExecutionStatus.COMPLETED


def test_a_ticket_nobody_dispatches_is_escalated_and_shown(stack, http, deadline_categories):
    urls = stack.urls
    filed = http.post(
        f"{urls['intake']}/tickets",
        headers={**auth(RESIDENT), "Idempotency-Key": uuid.uuid4().hex},
        json={"title": "楼道堆物无人管", "description": "消防通道被杂物堵住", "category": deadline_categories["dispatch"]},
    )
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    # In the test policy this category's dispatch is due 4 s after filing (every other stage, and category, is long).
    escalated = eventually(
        lambda: find(http.get(f"{urls['dashboard']}/escalated", headers=auth(LEADER)).json(), ticket_id),
        timeout=DEADLINE_TIMEOUT,
        what="escalation on the dashboard",
    )
    assert escalated["escalation_level"] >= 1
    queued = eventually(
        lambda: (t := find(http.get(f"{urls['dispatch']}/tickets", headers=auth(COMMUNITY)).json(), ticket_id)) and t["escalation_level"] >= 1 and t,
        what="escalation on the community console",
    )
    assert queued["status"] == "filed"
    mine = http.get(f"{urls['intake']}/tickets/{ticket_id}", headers=auth(RESIDENT)).json()
    assert mine["escalation_level"] >= 1
