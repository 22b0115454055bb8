"""电话回访 in the portal: the community's staff (and the street's supervisor) see the callback queue, reveal the
number, and record a call; nothing is preselected, an answered call needs the verdict, and nobody else gets in."""
from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from test_portal_pages import FakeBackends, fake, log_in, portal, settings  # noqa: F401  (fixtures by name)

QUEUED = {
    "id": "T1", "community_id": "xinran", "department_id": "urban", "title": "楼道灯不亮", "status": "awaiting_callback",
    "resolution_note": "已更换灯泡", "resolved_at": "2026-11-20T02:00:00+00:00", "reopen_count": 0, "closed_outcome": None,
    "callback_due": "2026-11-28T09:00:00+00:00", "callback_attempts": 1, "updated_at": "2026-11-27T02:00:00+00:00",
}


def test_the_queue_shows_each_ticket_with_its_due_time_and_a_form_with_nothing_chosen(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("feedback", "GET", "/callbacks", httpx.Response(200, json=[QUEUED]))
    log_in(portal, "xinran_staff")
    page = portal.get("/callbacks")
    assert page.status_code == 200
    assert "楼道灯不亮" in page.text and "已拨打未接通 1 次" in page.text and "回访期限 11-28 17:00" in page.text
    assert 'action="/callbacks/T1/callback"' in page.text and 'action="/callbacks/T1/reveal"' in page.text
    assert "checked" not in page.text  # no answer is preselected


def test_an_unanswered_call_is_sent_as_such_and_the_staff_come_back_to_the_queue(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("feedback", "POST", "/tickets/T1/callback", httpx.Response(200, json={**QUEUED, "callback_attempts": 2}))
    log_in(portal, "xinran_staff")
    answer = portal.post("/callbacks/T1/callback", data={"reached": "no", "comment": "无人接听"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/callbacks?ok=called"
    [sent] = fake.sent("feedback", "POST", "/tickets/T1/callback")
    assert json.loads(sent.content) == {"reached": False, "comment": "无人接听"}


def test_an_answered_call_carries_the_residents_verdict(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("feedback", "POST", "/tickets/T1/callback", httpx.Response(200, json={**QUEUED, "status": "closed"}))
    log_in(portal, "xinran_staff")
    form = {"reached": "yes", "solved": "yes", "satisfaction": "basically_satisfied", "comment": "居民说修好了"}
    assert portal.post("/callbacks/T1/callback", data=form, follow_redirects=False).status_code == 303
    [sent] = fake.sent("feedback", "POST", "/tickets/T1/callback")
    assert json.loads(sent.content) == {"reached": True, "satisfaction": "basically_satisfied", "solved": True, "comment": "居民说修好了"}


@pytest.mark.parametrize(("form", "named"), [
    ({}, "接通"), ({"reached": "yes", "solved": "yes"}, "满意度"), ({"reached": "yes", "satisfaction": "satisfied"}, "是否解决"),
])
def test_a_call_without_the_needed_answers_is_refused_in_chinese_and_nothing_is_sent(
    portal: TestClient, fake: FakeBackends, form: dict, named: str
) -> None:
    log_in(portal, "xinran_staff")
    refused = portal.post("/callbacks/T1/callback", data=form)
    assert refused.status_code == 422 and named in refused.text
    assert fake.sent("feedback", "POST", "/tickets/T1/callback") == []


@pytest.mark.parametrize("username", ["resident1", "urban_staff", "grid1", "leader1", "operator1"])
def test_nobody_else_opens_the_queue_or_records_a_call(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    assert portal.get("/callbacks").status_code == 403
    assert portal.post("/callbacks/T1/callback", data={"reached": "no"}).status_code == 403
    assert fake.sent("feedback", "GET", "/callbacks") == [] and fake.sent("feedback", "POST", "/tickets/T1/callback") == []


def test_the_supervisor_sees_the_queue_but_only_the_community_reveals_numbers(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("feedback", "GET", "/callbacks", httpx.Response(200, json=[QUEUED]))
    log_in(portal, "supervisor1")
    page = portal.get("/callbacks").text
    assert "楼道灯不亮" in page and "/callbacks/T1/reveal" not in page
    assert portal.post("/callbacks/T1/reveal").status_code == 403
