"""回访 on the whole stack: a resident who never rates is called back, and the answer counts in the rates.

The ticket is filed in the test policy's `rating` deadline category (its rating window passes 4 s after the
community settles it); the workflow then asks for the 回访 instead of closing it, the community records the call,
and the ticket closes rated: the dashboard counts the rating, the resident's timeline shows it, the workflow ends."""
from __future__ import annotations

import asyncio
import uuid

from temporalio.client import WorkflowExecutionStatus

from tests.e2e.test_ticket_life import (  # noqa: F401 - the http fixture
    COMMUNITY,
    DEADLINE_TIMEOUT,
    LEADER,
    RESIDENT,
    auth,
    eventually,
    find,
    http,
    workflow_status,
)


def test_a_resident_who_never_rates_is_called_back_and_the_answer_counts(stack, http, deadline_categories):
    urls = stack.urls
    before = http.get(f"{urls['dashboard']}/summary", headers=auth(LEADER)).json()
    filed = http.post(
        f"{urls['intake']}/tickets",
        headers={**auth(RESIDENT), "Idempotency-Key": uuid.uuid4().hex},
        json={"title": "独居老人家中断电", "description": "5号楼王大爷家跳闸了", "category": deadline_categories["rating"],
              "contact_phone": "13987654321"},
    )
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    eventually(lambda: find(http.get(f"{urls['dispatch']}/tickets", headers=auth(COMMUNITY)).json(), ticket_id))
    settled = http.post(f"{urls['dispatch']}/tickets/{ticket_id}/settle", headers=auth(COMMUNITY), json={"note": "网格员已上门复位电闸"})
    assert settled.status_code == 200, settled.text

    # Nobody rates: 4 s later the workflow asks for the 回访 and the ticket waits in the community's queue.
    queued = eventually(
        lambda: find(http.get(f"{urls['feedback']}/callbacks", headers=auth(COMMUNITY)).json(), ticket_id),
        timeout=DEADLINE_TIMEOUT, what="the ticket in the callback queue",
    )
    assert queued["status"] == "awaiting_callback" and queued["callback_due"]
    eventually(lambda: http.get(f"{urls['intake']}/tickets/{ticket_id}", headers=auth(RESIDENT)).json()["status"] == "callback",
               what="the resident sees 待回访")
    revealed = http.post(f"{urls['intake']}/tickets/{ticket_id}/contact/reveal", headers=auth(COMMUNITY))
    assert revealed.status_code == 200 and revealed.json()["contact_phone"] == "13987654321"

    answer = {"reached": True, "satisfaction": "satisfied", "solved": True, "comment": "王大爷说当天就来电了"}
    called = http.post(f"{urls['feedback']}/tickets/{ticket_id}/callback", headers=auth(COMMUNITY), json=answer)
    assert called.status_code == 200 and called.json()["status"] == "closed", called.text

    def counted():
        now = http.get(f"{urls['dashboard']}/summary", headers=auth(LEADER)).json()
        return now if now["rated"] == before["rated"] + 1 else None

    after = eventually(counted, what="the dashboard counts the rating")
    assert after["unreachable"] == before["unreachable"]
    mine = eventually(
        lambda: (t := http.get(f"{urls['intake']}/tickets/{ticket_id}", headers=auth(RESIDENT)).json())["status"] == "closed" and t,
        what="the resident sees it closed",
    )
    assert "TicketRated" in [e["event_type"] for e in mine["timeline"]]
    eventually(
        lambda: asyncio.run(workflow_status(stack, ticket_id)) == WorkflowExecutionStatus.COMPLETED,
        what="the workflow completed",
    )
