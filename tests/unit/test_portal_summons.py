"""吹哨报到 in the portal with faked backends: the console's 发起吹哨报到 on a ticket (the lead prefilled, a twice-failed
ticket prompting it with the previous department), what it sends to dispatch; the department's tasks on top of the
worklist with the countdown, 到场报到 with the phone's position or a note, 任务完成; and who may do what."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi.testclient import TestClient

from test_portal_dashboard import backed  # noqa: F401  (the big screen's faked figures, a fixture)
from test_portal_pages import FakeBackends, dispatch_ticket, fake, log_in, portal, settings  # noqa: F401  (fixtures by name)

NOW = datetime.now(timezone.utc)


def task(**overrides) -> dict:
    due = NOW + timedelta(minutes=25)
    found = {
        "summons_id": "S-1", "ticket_id": "T1", "department_id": "water", "role": "co", "community_id": "xinran",
        "lead_department_id": "urban", "co_department_ids": ["water", "housing"], "title": "路面塌陷漏水",
        "address": "3号楼北侧", "latitude": 39.7245, "longitude": 116.1432, "reason": "多部门职责交叉，需联合现场处置",
        "joint_handling": False, "summoned_at": NOW.isoformat(), "on_site_due": due.isoformat(), "task_due": None,
        "open": True, "warned": False, "escalation_level": 0, "checked_in_at": None, "checked_in_by": None,
        "check_in_latitude": None, "check_in_longitude": None, "distance_m": None, "check_in_note": None, "late": None,
        "completed_at": None, "completed_by": None, "completion_note": None, "seconds_to_on_site_due": 25 * 60 + 5,
    }
    return {**found, **overrides}


def summons_of(**overrides) -> dict:
    departments = [
        {"department_id": "urban", "role": "lead", "checked_in_at": NOW.isoformat(), "late": False, "distance_m": 3.0,
         "completed_at": None, "check_in_due": None, "task_due": None},
        {"department_id": "water", "role": "co", "checked_in_at": NOW.isoformat(), "late": True, "distance_m": 820.0,
         "completed_at": None, "check_in_due": None, "task_due": None},
        {"department_id": "housing", "role": "co", "checked_in_at": None, "late": None, "distance_m": None,
         "completed_at": None, "check_in_due": None, "task_due": None},
    ]
    found = {"summons_id": "S-1", "lead_department_id": "urban", "reason": "多部门职责交叉", "summoned_at": NOW.isoformat(),
             "on_site_due": NOW.isoformat(), "open": True, "joint_handling": False, "departments": departments}
    return {**found, **overrides}


def test_the_console_offers_the_summons_on_a_ticket_with_the_lead_prefilled_and_nothing_else_chosen(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket(summons=[])]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert "发起吹哨报到" in page and 'action="/console/T1/summons"' in page
    form = page[page.index('action="/console/T1/summons"'):]
    assert '<option value="water" selected>水务局（建议）</option>' in form  # the proposed department leads
    assert 'name="co_department_ids" value="water"' not in form  # the lead is not offered as a co-department
    co = form[form.index('class="co-departments"'):form.index("</fieldset>")]
    assert 'value="urban"' in co and "checked" not in co  # no co-department is chosen for the staff
    assert 'value="多部门职责交叉，需联合现场处置" checked' in form  # one preset reason chosen: two taps on a phone


def test_a_twice_failed_ticket_prompts_the_summons_with_the_previous_department_as_lead(portal: TestClient, fake: FakeBackends) -> None:
    reopened = dispatch_ticket(status="reopened", department_id="housing", joint_handling=True, reopen_count=2, summons=[])
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[reopened]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert '<details class="summons-form" open>' in page and "两次评价不满意：请吹哨召集住房和城乡建设委员会（牵头）" in page
    assert '<option value="housing" selected>住房和城乡建设委员会（上次承办）</option>' in page
    assert 'value="两次评价不满意，联席办理" checked' in page


def test_a_running_summons_shows_who_checked_in_and_no_second_form(portal: TestClient, fake: FakeBackends) -> None:
    held = dispatch_ticket(status="accepted", department_id="urban", summons=[summons_of()])
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[held]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert "水务局" in page and "（迟到，距现场 820 米）" in page and "未报到" in page
    assert 'action="/console/T1/summons"' not in page


def test_summoning_sends_the_lead_the_ticked_departments_and_the_reason_and_comes_back_to_the_ticket(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/summons", httpx.Response(200, json=dispatch_ticket(status="dispatched")))
    log_in(portal, "xinran_staff")
    form = {"lead_department_id": "water", "co_department_ids": ["urban", "housing"], "reason": "情况紧急，需多部门立即到场"}
    answer = portal.post("/console/T1/summons", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console?selected=T1&ok=summoned"
    assert json.loads(fake.sent("dispatch", "POST", "/tickets/T1/summons")[0].content) == {
        "lead_department_id": "water", "co_department_ids": ["urban", "housing"], "reason": "情况紧急，需多部门立即到场",
    }
    typed = {**form, "reason": "other", "reason_text": "燃气泄漏，需公安到场疏散"}
    portal.post("/console/T1/summons", data=typed, follow_redirects=False)
    assert json.loads(fake.sent("dispatch", "POST", "/tickets/T1/summons")[1].content)["reason"] == "燃气泄漏，需公安到场疏散"


def test_a_summons_without_a_co_department_is_named_in_chinese_and_not_sent(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    refused = portal.post("/console/T1/summons", data={"lead_department_id": "water", "reason": "情况紧急"})
    assert refused.status_code == 422 and "协办部门" in refused.text
    assert fake.sent("dispatch", "POST", "/tickets/T1/summons") == []


def test_dispatchs_refusal_is_shown_in_its_own_words(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/summons", httpx.Response(409, json={"detail": "已有进行中的吹哨报到（水务局尚未完成），请等其结束后再发起"}))
    log_in(portal, "xinran_staff")
    refused = portal.post("/console/T1/summons", data={"lead_department_id": "urban", "co_department_ids": "water", "reason": "x" * 3})
    assert refused.status_code == 409 and "已有进行中的吹哨报到（水务局尚未完成）" in refused.text


@pytest.mark.parametrize("username", ["urban_staff", "resident1", "leader1", "grid1"])
def test_only_community_staff_and_supervisors_summon(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    form = {"lead_department_id": "urban", "co_department_ids": "water", "reason": "情况紧急"}
    assert portal.post("/console/T1/summons", data=form).status_code == 403
    assert fake.sent("dispatch", "POST", "/tickets/T1/summons") == []


def test_the_worklist_has_the_summons_slot_on_top_and_the_panel_the_task_with_its_countdown(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[]))
    fake.on("department", "GET", "/summons", httpx.Response(200, json=[task()]))
    log_in(portal, "water_staff")
    page = portal.get("/worklist").text
    assert 'data-summons-src="/worklist/summons/panel"' in page and "summons.js" in page
    assert page.index('class="summons-slot"') < page.index('class="subtabs list-tabs"')  # on top of the worklist

    panel = portal.get("/worklist/summons/panel").text
    assert "路面塌陷漏水" in panel and "剩余 25分05秒" in panel and f'data-due="{task()["on_site_due"]}"' in panel
    assert 'action="/worklist/summons/S-1/check-in"' in panel and "到场报到" in panel
    assert 'name="latitude"' in panel and "无法定位时" in panel
    (sent,) = fake.sent("department", "GET", "/summons")
    assert sent.url.params["open"] == "true"


def test_a_checked_in_co_department_completes_its_task_and_the_lead_is_told_to_resolve(portal: TestClient, fake: FakeBackends) -> None:
    checked = task(checked_in_at=NOW.isoformat(), late=True, distance_m=812.4, seconds_to_on_site_due=-60)
    lead = task(summons_id="S-2", role="lead", department_id="water", checked_in_at=NOW.isoformat(), late=False)
    fake.on("department", "GET", "/summons", httpx.Response(200, json=[checked, lead]))
    log_in(portal, "water_staff")
    page = portal.get("/worklist/summons").text
    assert "（迟到，距现场 812 米）" in page and 'action="/worklist/summons/S-1/complete"' in page
    assert 'action="/worklist/summons/S-2/complete"' not in page and "在工单上<a" in page


def test_checking_in_sends_the_position_or_the_note_and_completing_the_note(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "POST", "/summons/S-1/check-in", httpx.Response(200, json=task()))
    fake.on("department", "POST", "/summons/S-1/complete", httpx.Response(200, json=task()))
    log_in(portal, "water_staff")
    answer = portal.post("/worklist/summons/S-1/check-in", data={"latitude": "39.72451", "longitude": "116.14322"}, follow_redirects=False)
    assert answer.headers["location"] == "/worklist?ok=checked_in"
    portal.post("/worklist/summons/S-1/check-in", data={"latitude": "", "longitude": "", "note": " 已到3号楼北侧 "}, follow_redirects=False)
    first, second = (json.loads(s.content) for s in fake.sent("department", "POST", "/summons/S-1/check-in"))
    assert first == {"latitude": 39.72451, "longitude": 116.14322, "note": None}
    assert second == {"latitude": None, "longitude": None, "note": "已到3号楼北侧"}
    done = portal.post("/worklist/summons/S-1/complete", data={"note": "已关阀抢修"}, follow_redirects=False)
    assert done.headers["location"] == "/worklist?ok=task_done"
    assert json.loads(fake.sent("department", "POST", "/summons/S-1/complete")[0].content) == {"note": "已关阀抢修"}


def test_a_check_in_the_department_refuses_is_shown_in_chinese(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "POST", "/summons/S-1/check-in", httpx.Response(422, json={"detail": "note: 未获取到定位，请填写所在位置说明"}))
    log_in(portal, "water_staff")
    refused = portal.post("/worklist/summons/S-1/check-in", data={})
    assert refused.status_code == 422 and "未获取到定位，请填写所在位置说明" in refused.text


@pytest.mark.parametrize("username", ["xinran_staff", "resident1", "supervisor1"])
def test_only_department_staff_open_tasks_or_check_in(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    assert portal.get("/worklist/summons").status_code == 403
    assert portal.post("/worklist/summons/S-1/check-in", data={"note": "到了"}).status_code == 403
    assert portal.post("/worklist/summons/S-1/complete", data={"note": "完成了"}).status_code == 403
    assert fake.sent("department", "POST", "/summons/S-1/check-in") == []


STATS = {
    "summonses": 3, "joint_handling": 1,
    "departments": [
        {"department_id": "water", "name": "水务局", "summoned": 3, "checked_in": 3, "on_time": 2, "late": 1, "missed": 0, "on_time_rate": 0.6667},
        {"department_id": "urban", "name": "城市管理委员会", "summoned": 2, "checked_in": 0, "on_time": 0, "late": 0, "missed": 0, "on_time_rate": None},
    ],
}


def test_the_leaderships_dashboard_has_the_summons_slot_and_its_panel_the_figures(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dashboard", "GET", "/summons/stats", httpx.Response(200, json=STATS))
    log_in(portal, "leader1")
    panel = portal.get("/dashboard/summons/panel").text
    assert "共 3 次（其中联席办 1 次）" in panel and "水务局" in panel and "66.7%" in panel
    assert "<td>城市管理委员会</td>" in panel and "<td>—</td>" in panel  # nobody due yet: no rate
    assert "准时报到率" in portal.get("/dashboard/summons").text


@pytest.mark.parametrize("username", ["resident1", "volunteer1"])
def test_residents_do_not_open_the_summons_figures(portal: TestClient, fake: FakeBackends, username: str) -> None:
    log_in(portal, username)
    assert portal.get("/dashboard/summons/panel").status_code == 403
    assert fake.sent("dashboard", "GET", "/summons/stats") == []


@pytest.mark.parametrize("username", ["water_staff", "xinran_staff"])
def test_staff_see_the_summons_figures_the_service_scoped_to_them(portal: TestClient, fake: FakeBackends, username: str) -> None:
    """The dashboard service answers a staff token with its own community's summonses or its own department's row."""
    fake.on("dashboard", "GET", "/summons/stats", httpx.Response(200, json=STATS))
    log_in(portal, username)
    assert "准时报到率" in portal.get("/dashboard/summons/panel").text
    sent = fake.sent("dashboard", "GET", "/summons/stats")
    assert len(sent) == 1 and "community_id" not in sent[0].url.params



def test_the_big_screen_carries_the_summons_slot(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    log_in(portal, "leader1")
    page = portal.get("/dashboard", params={"period": "month", "date": "2026-11-15"}).text
    assert 'data-summons-src="/dashboard/summons/panel"' in page and 'href="/dashboard/summons"' in page
