"""The console's and the worklist's lists as pages, with faked backends: each running stage's due time and working
time left coloured by its state, tabs with their counts, search and filters passed to the backend, paging, the
selected ticket beside the list (another community's is named not found), history tabs that show no actions."""
from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

# Shared fakes and fixtures (fake, settings, portal) of the portal page tests.
from test_portal_pages import (  # noqa: F401  (fixtures are used by name)
    FakeBackends,
    department_ticket,
    dispatch_ticket,
    fake,
    log_in,
    portal,
    settings,
)

OVERDUE = {"stage": "dispatch", "due": "2026-11-27T01:00:00+00:00", "warn_at": None, "due_text": "11月27日 09:00",
           "state": "overdue", "working_seconds_left": -18000, "time_left": "已超时 5小时"}
RESOLVE = {"stage": "resolve", "due": "2026-11-30T09:30:00+00:00", "warn_at": "2026-11-30T05:00:00+00:00",
           "due_text": "11月30日 17:30", "state": "running", "working_seconds_left": 97200, "time_left": "剩余 3个工作日6小时"}


def counts(**tabs: int):
    return httpx.Response(200, json=tabs)


def test_the_console_shows_each_deadline_in_beijing_time_with_the_time_left_and_its_colour(portal: TestClient, fake: FakeBackends):
    late = dispatch_ticket(deadlines=[OVERDUE], deadline_state="overdue", reporter_phone_masked="138****5678")
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[late]))
    fake.on("dispatch", "GET", "/tickets/counts", counts(queue=1, handling=4, done=9, returned=0, all=14))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert 'class="due-chip due-overdue"' in page and "11月27日 09:00 · 已超时 5小时" in page  # the row
    assert 'class="due due-overdue"' in page and "转哨派单时限" in page  # the ticket beside the list
    assert 'class="row due-row-overdue selected"' in page
    for label, n in (("待转哨", 1), ("办理中", 4), ("办结", 9), ("已退单", 0), ("全部", 14)):
        assert f'{label} <span class="count">{n}</span>' in page
    assert 'href="/staff/tickets/T1"' in page and "138****5678" in page


def test_a_suspended_ticket_says_its_deadlines_are_paused(portal: TestClient, fake: FakeBackends):
    paused = department_ticket(deadlines=[{**RESOLVE, "state": "suspended", "time_left": "已挂起，时限暂停"}], suspended=True)
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[paused]))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist").text
    assert 'class="due due-suspended"' in page and "已挂起，时限暂停" in page and "11月30日 17:30" in page


def test_the_worklist_shows_the_time_left_and_asks_for_its_tab_filters_search_and_page(portal: TestClient, fake: FakeBackends):
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[department_ticket(deadlines=[RESOLVE], deadline_state="running")]))
    fake.on("department", "GET", "/tickets/counts", counts(todo=31, done=2, returned=1, all=34))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist?q=+5678+&category=road&overdue=1&escalated=on&sort=due&date_from=2026-11-01&page=2").text
    assert "办结时限" in page and "11月30日 17:30" in page and "剩余 3个工作日6小时" in page
    (asked,) = fake.sent("department", "GET", "/tickets")
    assert dict(asked.url.params) == {
        "tab": "todo", "q": "5678", "category": "road", "date_from": "2026-11-01", "escalated": "true", "overdue": "true",
        "sort": "due", "limit": "30", "offset": "30",
    }
    (counted,) = fake.sent("department", "GET", "/tickets/counts")
    assert "tab" not in counted.url.params and counted.url.params["q"] == "5678"
    assert "共 31 件 · 第 2 / 2 页" in page and "上一页" in page
    assert 'value="5678"' in page and "（已筛选）" in page


def test_values_a_page_cannot_use_are_dropped_rather_than_refused(portal: TestClient, fake: FakeBackends):
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[]))
    log_in(portal, "urban_staff")
    response = portal.get("/worklist?tab=nonsense&sort=random&date_from=27.11.2026&page=-3&urgency=x&category=a%20b")
    assert response.status_code == 200 and "暂无待办诉求" in response.text  # counts unavailable: the page still shows
    (asked,) = fake.sent("department", "GET", "/tickets")
    assert dict(asked.url.params) == {"tab": "todo", "sort": "priority", "limit": "30", "offset": "0"}


def test_finished_work_stays_on_the_done_tab_without_actions(portal: TestClient, fake: FakeBackends):
    done = department_ticket(status="resolved", status_label="已办结，待评价", resolution_note="已修复路面", resolved_at="2026-11-26T08:00:00+00:00")
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[done]))
    fake.on("department", "GET", "/tickets/counts", counts(todo=0, done=1, returned=0, all=1))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist?tab=done").text
    assert "已修复路面" in page and 'action="/worklist/T1/resolve"' not in page and 'action="/worklist/T1/return"' not in page
    assert '办结 <span class="count">1</span>' in page


def test_the_console_opens_a_selected_ticket_beside_the_list_and_names_one_it_cannot_see(portal: TestClient, fake: FakeBackends):
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket()]))
    fake.on("dispatch", "GET", "/tickets/T9", httpx.Response(200, json=dispatch_ticket(id="T9", status="accepted", department_id="urban")))
    log_in(portal, "xinran_staff")
    page = portal.get("/console?tab=all&q=5678&selected=T9").text
    assert 'id="ticket-T9"' in page and "承办部门" in page and 'action="/console/T9/dispatch"' not in page
    assert 'class="split chosen"' in page and "返回列表" in page
    assert 'href="?tab=all&amp;q=5678&amp;selected=T1#detail"' in page  # a row keeps the tab and the search
    page = portal.get("/console?selected=T404").text  # another community's ticket: dispatch answers 404
    assert "未找到工单 T404" in page and 'id="ticket-T404"' not in page


def test_the_console_grid_filter_offers_the_communitys_own_grids(portal: TestClient, fake: FakeBackends):
    grids = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {"grid_id": "xinran-01", "community_id": "xinran", "name": "馨然第一网格"}},
        {"type": "Feature", "geometry": None, "properties": {"grid_id": "jiamenkou-01", "community_id": "jiamenkou", "name": "佳门口第一网格"}},
    ]}
    fake.on("intake", "GET", "/grids", httpx.Response(200, json=grids))
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console?grid_id=xinran-01").text
    assert '<option value="xinran-01" selected>馨然第一网格</option>' in page and "佳门口第一网格" not in page
    (asked,) = fake.sent("dispatch", "GET", "/tickets")
    assert asked.url.params["grid_id"] == "xinran-01"


def test_a_supervisor_sees_the_deadline_an_extension_request_would_move(portal: TestClient, fake: FakeBackends):
    request = {
        "request_event_id": "E1", "ticket_id": "T1", "community_id": "xinran", "department_id": "urban", "amount": 2.0,
        "unit": "working_days", "reason": "需等待管材到货", "status": "pending", "requested_at": "2026-11-26T02:00:00+00:00",
        "granted_amount": None, "granted_unit": None, "decision_note": None, "decided_by": None, "decided_at": None,
    }
    fake.on("dispatch", "GET", "/extensions", httpx.Response(200, json=[request, {**request, "request_event_id": "E2", "ticket_id": "T2"}]))
    fake.on("dashboard", "GET", "/escalated", httpx.Response(200, json=[]))
    fake.on("dispatch", "GET", "/tickets/T1", httpx.Response(200, json=dispatch_ticket(status="accepted", deadlines=[RESOLVE])))
    log_in(portal, "supervisor1")
    page = portal.get("/supervision").text  # T2 cannot be had: its request is shown without deadlines
    assert "办结时限" in page and "11月30日 17:30" in page and "剩余 3个工作日6小时" in page
    assert 'id="extension-E2"' in page and 'href="/staff/tickets/T2"' in page
    assert page.count("办结时限") == 1
