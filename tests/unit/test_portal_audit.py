"""审计 in the portal: leaders and admins look a ticket up and read every action on it (who, when, what) from intake's
append-only audit; nobody else gets the page; a malformed number is named in Chinese and nothing is asked."""
from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from test_portal_pages import FakeBackends, fake, log_in, portal, settings  # noqa: F401  (fixtures are used by name)

LINES = [
    {"seq": 1, "event_id": "e1", "event_type": "TicketFiled", "occurred_at": "2026-11-27T01:00:00+00:00", "actor_role": "resident",
     "actor_id": "resident1", "payload": {"community_id": "xinran", "category": "road"}, "recorded_at": "2026-11-27T01:00:01+00:00"},
    {"seq": 2, "event_id": "e2", "event_type": "TicketDispatched", "occurred_at": "2026-11-27T02:00:00+00:00",
     "actor_role": "community_staff", "actor_id": "xinran_staff", "payload": {"department_id": "urban", "note": "<b>请处理</b>"},
     "recorded_at": "2026-11-27T02:00:01+00:00"},
]


@pytest.mark.parametrize("username", ["leader2", "admin"])
def test_leaders_and_admins_read_every_action_in_order(portal: TestClient, fake: FakeBackends, username: str) -> None:
    fake.on("intake", "GET", "/tickets/T20261127-0000ABCD/audit", httpx.Response(200, json=LINES))
    log_in(portal, username)
    html = portal.get("/audit", params={"ticket_id": "T20261127-0000ABCD"}).text
    assert "共 2 条操作" in html and "2026-11-27 10:00:00" in html  # Beijing time
    assert html.index("resident1") < html.index("xinran_staff") and "社区工作人员" in html and "urban" in html
    assert "&lt;b&gt;请处理&lt;/b&gt;" in html and "<b>请处理</b>" not in html  # user text escaped


def test_a_malformed_number_is_named_and_nothing_is_asked(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "leader1")
    refused = portal.get("/audit", params={"ticket_id": "../admin"})
    assert refused.status_code == 422 and "诉求编号" in refused.text
    assert not [r for s, r in fake.requests if s == "intake"]


@pytest.mark.parametrize("username", ["supervisor1", "xinran_staff", "urban_staff", "resident1"])
def test_nobody_else_gets_the_audit_page(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    assert portal.get("/audit", params={"ticket_id": "T20261127-0000ABCD"}).status_code == 403
    assert not fake.sent("intake", "GET", "/tickets/T20261127-0000ABCD/audit")
