"""Deadlines as the people feel them: 催办 and 督办 on the worklists, an extension granted by a supervisor,
merge / suspend / resume, the admin's SLA policy versions, and the stored reports.

The stack runs config/sla_policy.test.yaml (tests/conftest.py): only a deadline test's ticket, filed in one of
`deadline_categories`, has a deadline that passes within seconds; every other ticket's deadlines are 30 days away."""
from __future__ import annotations

import asyncio
import copy
import uuid

import httpx
import pytest

from libs.auth import Principal
from libs.sla.policy import STAGES, URGENCIES, SlaPolicy, Span
from tests.e2e.test_reports import rank_xinran, trigger_and_collect
from tests.e2e.test_ticket_life import COMMUNITY, DEADLINE_TIMEOUT, DEPARTMENT, LEADER, RESIDENT, auth, eventually, find
from workflows.reports.schedules import RANKING_SCHEDULE_ID

SUPERVISOR = Principal(sub="sup-street", role="supervisor", street_id="changyang")
ADMIN = Principal(sub="admin", role="admin")


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(timeout=30) as client:
        yield client


def file_ticket(stack, http, title: str, category: str = "road") -> str:
    """File as the resident; `road` has no short deadline, a deadline test passes one of `deadline_categories`."""
    filed = http.post(
        f"{stack.urls['intake']}/tickets",
        headers={**auth(RESIDENT), "Idempotency-Key": uuid.uuid4().hex},
        json={"title": title, "description": f"{title}，请尽快处理", "category": category},
    )
    assert filed.status_code == 201, filed.text
    return filed.json()["id"]


def in_worklist(stack, http, ticket_id: str, check=lambda t: True, **params):
    ticket = find(http.get(f"{stack.urls['department']}/tickets", headers=auth(DEPARTMENT), params=params).json(), ticket_id)
    return ticket if ticket and check(ticket) else None


def dispatch_to_urban(stack, http, ticket_id: str) -> None:
    urls = stack.urls
    eventually(
        lambda: find(http.get(f"{urls['dispatch']}/tickets", headers=auth(COMMUNITY)).json(), ticket_id),
        what="ticket in the community queue",
    )
    response = http.post(f"{urls['dispatch']}/tickets/{ticket_id}/dispatch", headers=auth(COMMUNITY), json={"department_id": "urban"})
    assert response.status_code == 200, response.text


def test_an_unaccepted_ticket_is_warned_then_escalated_and_an_extension_is_granted(stack, http, deadline_categories):
    urls = stack.urls
    # In this category only acceptance is short (4 s from dispatch); dispatch, contact and resolve are 30 days away,
    # so no other deadline can pass while the test waits, accepts and asks for an extension.
    ticket_id = file_ticket(stack, http, "人行道井盖松动", category=deadline_categories["accept"])
    dispatch_to_urban(stack, http, ticket_id)

    # Nobody signs for it: 催办 at half the acceptance deadline, then 督办 level 1 at the deadline.
    overdue = eventually(
        lambda: in_worklist(
            stack, http, ticket_id,
            lambda t: t["escalation_level"] >= 1 and any(w["stage"] == "accept" for w in t["warnings"]),
        ),
        timeout=DEADLINE_TIMEOUT,
        what="催办 and 督办 on the department's worklist",
    )
    assert overdue["escalation_stage"] == "accept" and overdue["status"] == "dispatched"
    eventually(
        lambda: find(http.get(f"{urls['dashboard']}/escalated", headers=auth(LEADER)).json(), ticket_id),
        what="the ticket on the dashboard's escalated list",
    )

    accepted = http.post(f"{urls['department']}/tickets/{ticket_id}/accept", headers=auth(DEPARTMENT))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["escalation_level"] == 0
    assert not any(w["stage"] == "accept" for w in accepted.json()["warnings"])

    contacted = http.post(f"{urls['department']}/tickets/{ticket_id}/contact", headers=auth(DEPARTMENT), json={"note": "已电话联系"})
    assert contacted.status_code == 200 and contacted.json()["contacted_at"], contacted.text
    again = http.post(f"{urls['department']}/tickets/{ticket_id}/contact", headers=auth(DEPARTMENT))
    assert again.status_code == 409 and "already contacted" in again.json()["detail"]

    asked = http.post(
        f"{urls['department']}/tickets/{ticket_id}/extension",
        headers=auth(DEPARTMENT),
        json={"amount": 1, "unit": "clock_hours", "reason": "需等待配件到货"},
    )
    assert asked.status_code == 200 and asked.json()["extension_status"] == "pending", asked.text
    request_event_id = asked.json()["extension_request_event_id"]
    twice = http.post(
        f"{urls['department']}/tickets/{ticket_id}/extension",
        headers=auth(DEPARTMENT),
        json={"amount": 2, "unit": "working_days", "reason": "再延一次"},
    )
    assert twice.status_code == 409 and "already pending" in twice.json()["detail"]

    # The supervisor sees the request in dispatch and grants it; the department's view says granted.
    pending = eventually(
        lambda: next(
            (e for e in http.get(f"{urls['dispatch']}/extensions", headers=auth(SUPERVISOR), params={"status": "pending"}).json()
             if e["request_event_id"] == request_event_id),
            None,
        ),
        what="the extension request in the supervisor's queue",
    )
    assert pending["ticket_id"] == ticket_id and pending["amount"] == 1
    granted = http.post(
        f"{urls['dispatch']}/extensions/{request_event_id}/grant", headers=auth(SUPERVISOR), json={"note": "同意延期"}
    )
    assert granted.status_code == 200 and granted.json()["status"] == "granted", granted.text
    assert (granted.json()["granted_amount"], granted.json()["granted_unit"]) == (1, "clock_hours")
    refused = http.post(f"{urls['dispatch']}/extensions/{request_event_id}/refuse", headers=auth(SUPERVISOR), json={"note": "晚了"})
    assert refused.status_code == 409 and "already granted" in refused.json()["detail"]

    view = eventually(
        lambda: in_worklist(stack, http, ticket_id, lambda t: t["extension_status"] == "granted"),
        what="the department sees the extension granted",
    )
    assert view["extension_note"] == "同意延期"

    mine = eventually(
        lambda: (t := http.get(f"{urls['intake']}/tickets/{ticket_id}", headers=auth(RESIDENT)).json())
        and {"ResidentContacted", "ExtensionGranted"} <= {e["event_type"] for e in t["timeline"]}
        and t,
        what="the resident's timeline shows the contact and the extension",
    )
    assert mine["status"] == "accepted"


def test_a_duplicate_is_merged_and_a_suspended_ticket_resumes(stack, http):
    urls = stack.urls
    original = file_ticket(stack, http, "路灯不亮")
    duplicate = file_ticket(stack, http, "路灯坏了")
    for ticket_id in (original, duplicate):
        eventually(
            lambda: find(http.get(f"{urls['dispatch']}/tickets", headers=auth(COMMUNITY)).json(), ticket_id),
            what="ticket in the community queue",
        )
    merged = http.post(f"{urls['dispatch']}/tickets/{duplicate}/merge", headers=auth(COMMUNITY), json={"into_ticket_id": original})
    assert merged.status_code == 200, merged.text
    assert (merged.json()["status"], merged.json()["merged_into"]) == ("merged", original)
    into_merged = http.post(f"{urls['dispatch']}/tickets/{original}/merge", headers=auth(COMMUNITY), json={"into_ticket_id": duplicate})
    assert into_merged.status_code == 409 and "merge into an open ticket" in into_merged.json()["detail"]
    resident_view = eventually(
        lambda: (t := http.get(f"{urls['intake']}/tickets/{duplicate}", headers=auth(RESIDENT)).json())["status"] == "merged" and t,
        what="the resident sees the duplicate merged",
    )
    assert original in resident_view["timeline"][-1]["note"]

    suspended = http.post(f"{urls['dispatch']}/tickets/{original}/suspend", headers=auth(SUPERVISOR), json={"reason": "等待产权单位答复"})
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True, suspended.text
    assert http.post(f"{urls['dispatch']}/tickets/{original}/suspend", headers=auth(SUPERVISOR), json={"reason": "再次"}).status_code == 409
    resumed = http.post(f"{urls['dispatch']}/tickets/{original}/resume", headers=auth(SUPERVISOR), json={"note": "已答复"})
    assert resumed.status_code == 200 and resumed.json()["suspended"] is False, resumed.text
    eventually(
        lambda: {"TicketSuspended", "TicketResumed"}
        <= {e["event_type"] for e in http.get(f"{urls['intake']}/tickets/{original}", headers=auth(RESIDENT)).json()["timeline"]},
        what="the resident's timeline shows suspended and resumed",
    )


def test_the_admin_publishes_the_next_sla_policy_version_and_bad_ones_are_refused(stack, http):
    url = f"{stack.urls['dispatch']}/admin/sla-policy"
    current = http.get(url, headers=auth(ADMIN))
    assert current.status_code == 200, current.text
    version = current.json()["version"]
    # Same timings (other tests share this stack), next version.
    document = {**copy.deepcopy(current.json()["document"]), "version": version + 1}

    published = http.put(url, headers=auth(ADMIN), json=document)
    assert published.status_code == 200 and published.json()["version"] == version + 1, published.text
    assert http.get(url, headers=auth(ADMIN)).json()["source"] == "stored"

    stale = http.put(url, headers=auth(ADMIN), json=document)
    assert stale.status_code == 409 and f"expected {version + 2}" in stale.json()["detail"]
    bad = http.put(url, headers=auth(ADMIN), json={**document, "version": version + 2, "warning_fraction": 2})
    assert bad.status_code == 422 and "warning_fraction" in bad.json()["detail"]
    assert http.get(url, headers=auth(ADMIN)).json()["version"] == version + 1


def test_the_monthly_ranking_snapshot_is_kept_by_the_dashboard(stack, http):
    rank_xinran(stack, http)
    snapshot = asyncio.run(
        trigger_and_collect(
            stack,
            RANKING_SCHEDULE_ID,
            lambda e: e["type"] == "RankingSnapshot" and e["scope"] == "community"
            and any(x["scope"] == "community:xinran" for x in e["entries"]),
        )
    )

    def kept():  # the dashboard keeps the latest run per (month, scope): wait for one that ranks xinran
        history = http.get(
            f"{stack.urls['dashboard']}/rankings/history", headers=auth(LEADER), params={"month": snapshot["month"]}
        ).json()
        return next(
            (s for s in history if s["scope"] == "community" and any(e["scope"] == "community:xinran" for e in s["entries"])),
            None,
        )

    stored = eventually(kept, what="the community ranking snapshot (with xinran) in the dashboard's history")
    scopes = [e["scope"] for e in stored["entries"]]
    assert "community:xinran" in scopes and all(scope.startswith("community:") for scope in scopes), scopes


def _at_least_seconds(span: Span) -> float:
    """A lower bound of the span in clock seconds (a working hour or day never takes less than this)."""
    return span.amount * {
        "seconds": 1, "minutes": 60, "clock_hours": 3600, "days": 86400, "working_hours": 3600, "working_days": 7 * 3600,
    }[span.unit]


def test_only_the_deadline_categories_have_a_deadline_a_test_can_reach(stack, http, deadline_categories):
    """The contract the other tests rely on, checked against the policy the running stack serves."""
    current = http.get(f"{stack.urls['dispatch']}/admin/sla-policy", headers=auth(ADMIN))
    assert current.status_code == 200, current.text
    policy = SlaPolicy.parse(current.json()["document"])
    day = 86400
    assert _at_least_seconds(policy.joint_on_site) >= day
    short_stage = {category: stage for stage, category in deadline_categories.items()}
    assert set(short_stage) <= set(policy.categories), "every deadline category has its own overrides"
    for urgency in URGENCIES:
        for category in (*policy.categories, "road"):
            stages = policy.for_ticket(urgency, category).stages
            short = short_stage.get(category) if urgency != "emergency" else None
            for stage in STAGES:
                if stage == short:
                    assert _at_least_seconds(stages[stage]) <= 10, (urgency, category, stage, stages[stage])
                else:
                    assert _at_least_seconds(stages[stage]) >= day, (urgency, category, stage, stages[stage])
