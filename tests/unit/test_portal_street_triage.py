"""街道分拨 in the portal: the street's supervisor sees the tickets no community was found for and assigns each with
one community (or community and grid) picker; nobody else gets the page."""
from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from test_portal_pages import NOW, FakeBackends, fake, log_in, portal, settings  # noqa: F401  (fixtures are used by name)

TRIAGE_TICKET = {
    "id": "T20261127-00TRIAGE", "community_id": "street:changyang", "grid_id": None, "kind": "problem", "title": "路灯不亮",
    "description": "路口的路灯坏了好几天", "category": "road", "urgency": "ordinary", "address": "不知道叫什么路",
    "latitude": 39.9087, "longitude": 116.3975, "attachments": [], "verified_on_site": False, "anonymous": False,
    "reporter_phone_masked": "138****8000", "status": "filed", "status_label": "已吹哨，待社区转哨", "escalation_level": 0,
    "escalation_stage": None, "warnings": [], "merged_into": None, "suspended": False, "channel": "web",
    "proposed_department_id": "urban", "department_id": None, "return_count": 0, "last_return_reason": None,
    "reopen_count": 0, "joint_handling": False, "suspend_reason": None, "filed_at": NOW, "updated_at": NOW,
}


def test_the_supervisor_sees_the_street_queue_with_a_community_picker(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/street-triage", httpx.Response(200, json=[TRIAGE_TICKET]))
    log_in(portal, "supervisor1")
    page = portal.get("/triage")
    assert page.status_code == 200, page.text
    html = page.text
    assert "街道分拨" in html and "路灯不亮" in html and "不在本街道网格内" in html
    assert 'action="/triage/T20261127-00TRIAGE/assign"' in html
    for option in ('value="xinran"', 'value="shiliuqiao/shiliuqiao-02"', "石榴桥社区"):
        assert option in html
    assert 'href="/triage"' in html  # in the navigation bar


def test_assigning_posts_the_community_and_grid_and_comes_back_with_a_notice(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T20261127-00TRIAGE/assign-community", httpx.Response(200, json={**TRIAGE_TICKET, "community_id": "shiliuqiao"}))
    fake.on("dispatch", "GET", "/street-triage", httpx.Response(200, json=[]))
    log_in(portal, "supervisor1")
    done = portal.post("/triage/T20261127-00TRIAGE/assign", data={"place": "shiliuqiao/shiliuqiao-02", "note": "电话核实"})
    assert done.status_code == 200 and "已分拨到社区" in done.text and "暂无待分拨的诉求" in done.text
    [sent] = fake.sent("dispatch", "POST", "/tickets/T20261127-00TRIAGE/assign-community")
    assert json.loads(sent.content) == {"community_id": "shiliuqiao", "grid_id": "shiliuqiao-02", "note": "电话核实"}


def test_assigning_without_a_community_is_refused_in_chinese_naming_the_field(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "supervisor1")
    refused = portal.post("/triage/T20261127-00TRIAGE/assign", data={"place": ""})
    assert refused.status_code == 422 and "所属社区" in refused.text
    assert not fake.sent("dispatch", "POST", "/tickets/T20261127-00TRIAGE/assign-community")


@pytest.mark.parametrize("username", ["xinran_staff", "resident1", "leader1"])
def test_only_supervisors_get_the_street_triage_page(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    assert portal.get("/triage").status_code == 403
    assert portal.post("/triage/T1/assign", data={"place": "xinran"}).status_code == 403
    assert not fake.sent("dispatch", "POST", "/tickets/T1/assign-community")


def test_the_console_names_the_street_queue_instead_of_its_id(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[TRIAGE_TICKET]))
    log_in(portal, "supervisor1")
    html = portal.get("/console").text
    assert "街道分拨（待定社区）" in html and "street:changyang" not in html
