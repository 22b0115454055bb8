"""Street scope beyond dispatch (issue 12): intake (a ticket, its story and notes), feedback (awaiting rating, 回访
queue and calls), wishes (审核 queue, a wish, approval) and notify (送达记录, a retry): a supervisor of 拱辰街道 sees and
acts on 拱辰街道's tickets and wishes and gets 403/404 (or nothing listed) for 长阳镇's, and the other way round."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from libs.events import Actor, CallbackRequested
from libs.messaging import record_event
from tests.integration.conftest import eventually
from tests.integration.street_scope_helpers import (
    LEADER_B, SUP_A, SUP_B, XINGGONGYUAN, XINRAN, arrived, file, ids, ok,
)


@pytest.fixture(scope="module")
def tickets(service_clients) -> dict[str, str]:
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    made = {"a": file(intake, "xinran"), "b": file(intake, "xinggongyuan")}
    arrived(dispatch, made["a"], XINRAN)
    arrived(dispatch, made["b"], XINGGONGYUAN)
    return made


def test_intake_tickets_and_stories_are_read_in_the_supervisors_street_only(service_clients, tickets):
    intake, a, b = service_clients["intake"], tickets["a"], tickets["b"]
    for path in (f"/tickets/{a}", f"/tickets/{a}/story"):
        assert intake.get(path, headers=SUP_B).status_code == 404, path
        assert intake.get(path, headers=SUP_A).status_code == 200, path
        assert intake.get(path, headers=LEADER_B).status_code == 200, path  # leaders: the district
    assert intake.get(f"/tickets/{b}/story", headers=SUP_A).status_code == 404
    note = {"text": "已联系物业", "visibility": "internal"}
    assert intake.post(f"/tickets/{a}/notes", json=note, headers=SUP_B).status_code == 404
    assert intake.post(f"/tickets/{b}/notes", json=note, headers=SUP_B).status_code in (200, 201)


def test_feedback_queues_and_calls_stay_in_the_supervisors_street(service_clients, tickets):
    dispatch, feedback, b = service_clients["dispatch"], service_clients["feedback"], tickets["b"]
    ok(dispatch.post(f"/tickets/{b}/settle", json={"note": "社区当场处理"}, headers=XINGGONGYUAN))
    arrived(feedback, b, SUP_B)
    eventually(lambda: ok(feedback.get(f"/tickets/{b}", headers=SUP_B))["status"] == "awaiting_rating")
    assert b in ids(feedback.get("/tickets/awaiting-rating", params={"limit": 500}, headers=SUP_B))
    assert b not in ids(feedback.get("/tickets/awaiting-rating", params={"limit": 500}, headers=SUP_A))
    assert feedback.get(f"/tickets/{b}", headers=SUP_A).status_code == 403

    due = datetime.now(timezone.utc) + timedelta(days=3)
    request = CallbackRequested(ticket_id=b, actor=Actor(role="system", id="workflows"), community_id="xinggongyuan", deadline=due)
    feedback.app.state.runtime.run(lambda session: record_event(session, request))  # as the workflow publishes it
    eventually(lambda: ok(feedback.get(f"/tickets/{b}", headers=SUP_B))["status"] == "awaiting_callback")
    assert b in ids(feedback.get("/callbacks", headers=SUP_B))
    assert b not in ids(feedback.get("/callbacks", headers=SUP_A))
    no_answer = {"reached": False, "comment": "无人接听"}
    assert feedback.post(f"/tickets/{b}/callback", json=no_answer, headers=SUP_A).status_code == 403
    assert ok(feedback.post(f"/tickets/{b}/callback", json=no_answer, headers=SUP_B))["callback_attempts"] == 1


def test_wish_review_is_the_supervisors_streets_only(service_clients):
    intake, wishes = service_clients["intake"], service_clients["wishes"]
    wish = file(intake, "xinggongyuan", kind="wish", category="wish", title="想请志愿者帮忙换灯泡")
    arrived(wishes, wish, SUP_B, path="/wishes/{id}")
    assert wishes.get(f"/wishes/{wish}", headers=SUP_A).status_code == 404
    assert wishes.get("/communities/xinggongyuan/wishes", headers=SUP_A).status_code == 403
    assert wish in ids(wishes.get("/communities/xinggongyuan/wishes", headers=SUP_B))
    assert wishes.get("/communities/xinran/wishes", headers=SUP_B).status_code == 403
    assert wishes.post(f"/wishes/{wish}/approve", json={"estimated_hours": 1}, headers=SUP_A).status_code == 403
    assert ok(wishes.post(f"/wishes/{wish}/approve", json={"estimated_hours": 1}, headers=SUP_B))["status"] == "open"


def test_notification_logs_are_the_supervisors_streets_only(service_clients, tickets):
    notify, a, b = service_clients["notify"], tickets["a"], tickets["b"]

    def log(ticket_id: str, headers: dict[str, str]) -> list[dict]:
        return ok(notify.get("/messages", params={"ticket_id": ticket_id}, headers=headers))

    sent_b = eventually(lambda: log(b, SUP_B))
    eventually(lambda: log(a, SUP_A))
    assert log(b, SUP_A) == [] and log(a, SUP_B) == []
    assert all(m["ticket_id"] != b for m in ok(notify.get("/messages", params={"limit": 500}, headers=SUP_A)))
    assert notify.post(f"/dead-letters/{sent_b[0]['id']}/retry", headers=SUP_A).status_code == 403
    assert notify.post(f"/dead-letters/{sent_b[0]['id']}/retry", headers=SUP_B).status_code == 409  # in scope, not dead
