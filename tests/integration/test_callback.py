"""回访 over HTTP and the real Kafka: when the workflow says the rating window passed (CallbackRequested), the ticket
waits in its community's callback queue; an answered call rates it like the resident would (an unsatisfied, unsolved
answer reopens it), unanswered calls close it unrated after FEEDBACK_CALLBACK_ATTEMPTS (3), never as satisfied.
Only the community's staff (and the street's supervisor) call; another community's staff and residents cannot."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from libs.events import Actor, CallbackRequested
from libs.messaging import record_event
from tests.integration.conftest import bearer, eventually

XINRAN = bearer("community_staff", "s-cb-xinran", community_id="xinran")
SHILIUQIAO = bearer("community_staff", "s-cb-shiliuqiao", community_id="shiliuqiao")
SUPERVISOR = bearer("supervisor", "sup-cb", street_id="changyang")
LEADER = bearer("leader", "leader-cb", street_id="changyang")
WORKFLOW = Actor(role="system", id="workflows")


def settled_and_unrated(service_clients) -> tuple[str, dict[str, str]]:
    """A ticket the community settled on the spot whose rating window the workflow then declared passed."""
    intake, dispatch, feedback = (service_clients[s] for s in ("intake", "dispatch", "feedback"))
    resident_id = f"r-cb-{uuid.uuid4().hex[:8]}"
    resident = bearer("resident", resident_id, community_id="xinran")
    filed = intake.post(
        "/tickets", headers={**resident, "Idempotency-Key": uuid.uuid4().hex},
        json={"title": "楼道灯不亮", "description": "2号楼3单元楼道灯坏了一周", "category": "property", "community_id": "xinran"},
    )
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).status_code == 200)
    assert dispatch.post(f"/tickets/{ticket_id}/settle", json={"note": "物业已更换灯泡"}, headers=XINRAN).status_code == 200
    eventually(lambda: feedback.get(f"/tickets/{ticket_id}", headers=resident).json().get("status") == "awaiting_rating")
    due = datetime.now(timezone.utc) + timedelta(days=3)
    request = CallbackRequested(ticket_id=ticket_id, actor=WORKFLOW, community_id="xinran", deadline=due)
    feedback.app.state.runtime.run(lambda session: record_event(session, request))  # as the workflow publishes it
    eventually(lambda: feedback.get(f"/tickets/{ticket_id}", headers=XINRAN).json()["status"] == "awaiting_callback")
    return ticket_id, resident


def queue(feedback, headers) -> list[str]:
    answer = feedback.get("/callbacks", headers=headers)
    assert answer.status_code == 200, answer.text
    return [t["id"] for t in answer.json()]


def test_unanswered_calls_close_the_ticket_unrated_after_the_last_attempt(service_clients):
    feedback, dispatch, dashboard = (service_clients[s] for s in ("feedback", "dispatch", "dashboard"))
    ticket_id, resident = settled_and_unrated(service_clients)
    before = dashboard.get("/summary", headers=LEADER).json()
    assert ticket_id in queue(feedback, XINRAN) and ticket_id in queue(feedback, SUPERVISOR)
    assert ticket_id not in queue(feedback, SHILIUQIAO)
    assert eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).json()["status"] == "callback")

    no_answer = {"reached": False, "comment": "无人接听"}
    for attempt in (1, 2):
        called = feedback.post(f"/tickets/{ticket_id}/callback", json=no_answer, headers=XINRAN)
        assert called.status_code == 200, called.text
        assert (called.json()["status"], called.json()["callback_attempts"]) == ("awaiting_callback", attempt)
    last = feedback.post(f"/tickets/{ticket_id}/callback", json=no_answer, headers=XINRAN)
    assert (last.json()["status"], last.json()["closed_outcome"]) == ("closed", "callback_unreachable")
    assert feedback.post(f"/tickets/{ticket_id}/callback", json=no_answer, headers=XINRAN).status_code == 409

    after = eventually(
        lambda: (s := dashboard.get("/summary", headers=LEADER).json())["unreachable"] == before["unreachable"] + 1 and s
    )
    assert after["rated"] == before["rated"]  # unreachable is unrated, never satisfied
    assert eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).json()["status"] == "closed")


def test_an_answered_call_rates_the_ticket_and_an_unsatisfied_answer_reopens_it(service_clients):
    feedback, dispatch = service_clients["feedback"], service_clients["dispatch"]
    ticket_id, resident = settled_and_unrated(service_clients)
    missing = feedback.post(f"/tickets/{ticket_id}/callback", json={"reached": True, "solved": False}, headers=XINRAN)
    assert missing.status_code == 422 and "satisfaction" in missing.json()["detail"]
    answer = {"reached": True, "satisfaction": "unsatisfied", "solved": False, "comment": "灯换了又坏"}
    called = feedback.post(f"/tickets/{ticket_id}/callback", json=answer, headers=XINRAN)
    assert called.status_code == 200, called.text
    assert called.json()["status"] == "reopened"
    assert eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN).json()["status"] == "reopened")


def test_only_the_communitys_staff_and_the_street_call_and_a_late_resident_rating_is_heard(service_clients):
    feedback = service_clients["feedback"]
    ticket_id, resident = settled_and_unrated(service_clients)
    answer = {"reached": False}
    assert feedback.post(f"/tickets/{ticket_id}/callback", json=answer, headers=SHILIUQIAO).status_code in (403, 404)
    assert feedback.post(f"/tickets/{ticket_id}/callback", json=answer, headers=resident).status_code == 403
    assert feedback.post(f"/tickets/{ticket_id}/callback", json=answer, headers=LEADER).status_code == 403
    assert feedback.get("/callbacks", headers=resident).status_code == 403
    # The resident rates after all, before anyone called: heard like a rating in time.
    rated = feedback.post(f"/tickets/{ticket_id}/rating", json={"satisfaction": "satisfied", "solved": True}, headers=resident)
    assert (rated.status_code, rated.json()["status"]) == (200, "closed")
    assert ticket_id not in queue(feedback, XINRAN)
