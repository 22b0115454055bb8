"""Portal pages for the deadline features (催办, 督办, 延期, 合并, 挂起, 时限政策, 工作日历) with faked backends."""
from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

# Shared fakes and fixtures (fake, settings, portal) of the portal page tests.
from test_portal_pages import (  # noqa: F401  (fixtures are used by name)
    NOW,
    FakeBackends,
    department_ticket,
    dispatch_ticket,
    fake,
    intake_ticket,
    log_in,
    portal,
    settings,
    summary,
)

LATER = "2026-11-26T06:00:00+00:00"  # 14:00 in Beijing


def sent_json(fake: FakeBackends, service: str, method: str, path: str) -> object:
    (request,) = fake.sent(service, method, path)
    return json.loads(request.content) if request.content else None


# ---------------------------------------------------------------------- role checks


@pytest.mark.parametrize(
    ("username", "path"),
    [("resident1", "/supervision"), ("leader1", "/supervision"), ("urban_staff", "/supervision"),
     ("xinran_staff", "/supervision"), ("supervisor1", "/admin"), ("leader1", "/admin"), ("xinran_staff", "/admin"),
     ("resident1", "/admin")],
)
def test_the_new_pages_refuse_other_roles_without_calling_a_backend(
    portal: TestClient, fake: FakeBackends, username: str, path: str
) -> None:
    log_in(portal, username)
    response = portal.get(path)
    assert response.status_code == 403 and "没有访问权限" in response.text
    assert fake.requests == []


@pytest.mark.parametrize(
    ("username", "path", "data"),
    [
        ("resident1", "/worklist/T1/contact", {}),
        ("xinran_staff", "/worklist/T1/extension", {"amount": "2", "unit": "working_days", "reason": "等材料"}),
        ("xinran_staff", "/console/T1/suspend", {"reason": "等待判决"}),  # supervisors only
        ("admin", "/console/T1/suspend", {"reason": "等待判决"}),
        ("xinran_staff", "/console/T1/resume", {}),
        ("admin", "/console/T1/merge", {"into_ticket_id": "T2"}),  # dispatch lets only community staff and supervisors merge
        ("urban_staff", "/console/T1/merge", {"into_ticket_id": "T2"}),
        ("leader1", "/supervision/extensions/E1/grant", {}),
        ("urban_staff", "/supervision/extensions/E1/refuse", {"note": "请按期办结"}),
        ("supervisor1", "/admin/sla-policy", {"document": "{}"}),
        ("leader1", "/admin/calendar", {"holidays": "2026-12-31"}),
    ],
)
def test_the_new_actions_refuse_other_roles_without_calling_a_backend(
    portal: TestClient, fake: FakeBackends, username: str, path: str, data: dict
) -> None:
    log_in(portal, username)
    assert portal.post(path, data=data).status_code == 403
    assert fake.requests == []


def test_the_nav_offers_supervision_to_supervisors_and_settings_to_admins(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[]))
    log_in(portal, "supervisor1")
    page = portal.get("/console").text
    assert 'href="/supervision"' in page and 'href="/admin"' not in page
    log_in(portal, "admin")
    page = portal.get("/console").text
    assert 'href="/supervision"' in page and 'href="/admin"' in page


# ---------------------------------------------------------------------- department worklist


def warned_ticket(**overrides) -> dict:
    return department_ticket(
        **{
            "escalation_level": 0, "escalation_stage": None, "warnings": [{"stage": "resolve", "deadline": LATER}],
            "contacted_at": None, "contact_note": None, "extension_status": None, "extension_request_event_id": None,
            "extension_amount": None, "extension_unit": None, "extension_reason": None, "extension_note": None,
            "suspended": False, "suspend_reason": None, "merged_into": None, **overrides,
        }
    )


def test_the_worklist_shows_warning_and_escalation_badges_with_their_stage(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[
        warned_ticket(),
        warned_ticket(id="T2", warnings=[], escalation_level=2, escalation_stage="accept", status="dispatched"),
    ]))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist").text
    assert "催办 · 办结 11-26 14:00前" in page
    assert "督办 · 2级 · 部门签收超时" in page
    assert "1 件诉求已超时督办" in page and "1 件诉求时限将到" in page


def test_an_accepted_ticket_offers_contact_and_extension_forms(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[warned_ticket()]))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist").text
    assert 'action="/worklist/T1/contact"' in page and "联系居民" in page
    assert 'action="/worklist/T1/extension"' in page and "申请延期" in page
    for value, label in (("working_days", "工作日"), ("working_hours", "工作小时"), ("clock_hours", "小时"), ("days", "天")):
        assert f'<option value="{value}">{label}</option>' in page
    assert 'action="/worklist/T1/resolve"' in page and 'action="/worklist/T1/return"' in page


def test_a_contacted_ticket_with_a_pending_extension_shows_both_and_offers_neither_form(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[warned_ticket(
        contacted_at=NOW, contact_note="已电话联系", extension_status="pending", extension_amount=3.0,
        extension_unit="working_days", extension_reason="等管材",
    )]))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist").text
    assert "已联系居民 11-26 10:30：已电话联系" in page
    assert "延期待审批" in page and "申请 3 工作日（等管材）" in page
    assert "/contact" not in page and "/extension" not in page


def test_a_granted_extension_shows_the_supervisors_note(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "GET", "/tickets", httpx.Response(200, json=[warned_ticket(
        extension_status="granted", extension_amount=2.0, extension_unit="clock_hours", extension_reason="夜间施工",
        extension_note="同意",
    )]))
    log_in(portal, "urban_staff")
    page = portal.get("/worklist").text
    assert "延期已批准" in page and "申请 2 小时" in page and "督办意见：同意" in page


def test_contacting_the_resident_posts_the_note_to_department(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "POST", "/tickets/T1/contact", httpx.Response(200, json=warned_ticket(contacted_at=NOW)))
    log_in(portal, "urban_staff")
    response = portal.post("/worklist/T1/contact", data={"note": " 已电话联系 "}, follow_redirects=False)
    assert response.headers["location"] == "/worklist?ok=contacted"
    assert sent_json(fake, "department", "POST", "/tickets/T1/contact") == {"note": "已电话联系"}


def test_contacting_without_a_note_sends_a_null_note(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "POST", "/tickets/T1/contact", httpx.Response(200, json=warned_ticket(contacted_at=NOW)))
    log_in(portal, "urban_staff")
    portal.post("/worklist/T1/contact", data={}, follow_redirects=False)
    assert sent_json(fake, "department", "POST", "/tickets/T1/contact") == {"note": None}


def test_an_extension_request_posts_amount_unit_and_reason(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "POST", "/tickets/T1/extension", httpx.Response(200, json=warned_ticket(extension_status="pending")))
    log_in(portal, "urban_staff")
    response = portal.post(
        "/worklist/T1/extension", data={"amount": "1.5", "unit": "working_hours", "reason": " 需等待管材到货 "},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/worklist?ok=extension"
    assert sent_json(fake, "department", "POST", "/tickets/T1/extension") == {
        "amount": 1.5, "unit": "working_hours", "reason": "需等待管材到货",
    }


def test_an_extension_with_an_unknown_unit_is_refused_by_the_portal(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "urban_staff")
    response = portal.post("/worklist/T1/extension", data={"amount": "2", "unit": "weeks", "reason": "等材料"})
    assert response.status_code == 422 and "单位" in response.text
    assert fake.requests == []


def test_a_409_for_a_second_extension_is_shown_as_a_message(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "POST", "/tickets/T1/extension", httpx.Response(
        409, json={"detail": "an extension request is already pending a supervisor's decision"}
    ))
    log_in(portal, "urban_staff")
    response = portal.post("/worklist/T1/extension", data={"amount": "2", "unit": "days", "reason": "等材料"})
    assert response.status_code == 409
    assert "操作与当前状态冲突" in response.text and "already pending" in response.text and "部门办哨服务" in response.text


def test_a_409_for_contacting_twice_is_shown_as_a_message(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("department", "POST", "/tickets/T1/contact", httpx.Response(409, json={"detail": "the resident was already contacted"}))
    log_in(portal, "urban_staff")
    response = portal.post("/worklist/T1/contact", data={})
    assert response.status_code == 409 and "the resident was already contacted" in response.text


# ---------------------------------------------------------------------- community console


def console_ticket(**overrides) -> dict:
    return dispatch_ticket(**{
        "escalation_stage": None, "warnings": [], "reopen_count": 0, "joint_handling": False, "merged_into": None,
        "suspended": False, "suspend_reason": None, **overrides,
    })


def test_the_console_shows_warning_escalation_and_joint_handling_badges(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[
        console_ticket(warnings=[{"stage": "dispatch", "deadline": LATER}]),
        console_ticket(id="T2", status="reopened", escalation_level=1, escalation_stage="dispatch", joint_handling=True, reopen_count=2),
    ]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert "催办 · 转哨派单 11-26 14:00前" in page
    assert "督办 · 转哨派单超时" in page
    assert "联席办" in page and "重办 2 次" in page


def test_community_staff_get_a_merge_form_but_no_suspend_form(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[console_ticket()]))
    log_in(portal, "xinran_staff")
    page = portal.get("/console").text
    assert 'action="/console/T1/merge"' in page and "合并到工单号" in page
    assert "/suspend" not in page and "/resume" not in page


def test_a_supervisor_gets_suspend_for_a_running_ticket_and_resume_for_a_suspended_one(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[
        console_ticket(), console_ticket(id="T2", suspended=True, suspend_reason="等待法院判决"),
    ]))
    log_in(portal, "supervisor1")
    page = portal.get("/console").text  # the first ticket beside the list
    assert 'action="/console/T1/suspend"' in page and 'action="/console/T1/resume"' not in page
    page = portal.get("/console?selected=T2").text
    assert 'action="/console/T2/resume"' in page and 'action="/console/T2/suspend"' not in page
    assert "已暂停" in page and "等待法院判决" in page


def test_an_admin_sees_the_console_without_merge_or_suspend_forms(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[console_ticket()]))
    log_in(portal, "admin")
    page = portal.get("/console").text
    assert "/merge" not in page and "/suspend" not in page


def test_merging_posts_the_target_ticket_to_dispatch(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/merge", httpx.Response(200, json=console_ticket(status="merged", merged_into="T2")))
    log_in(portal, "xinran_staff")
    response = portal.post("/console/T1/merge", data={"into_ticket_id": " T2 "}, follow_redirects=False)
    assert response.headers["location"] == "/console?selected=T1&ok=merged"
    assert sent_json(fake, "dispatch", "POST", "/tickets/T1/merge") == {"into_ticket_id": "T2"}


def test_a_merge_into_a_closed_ticket_shows_the_backends_reason(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/merge", httpx.Response(
        409, json={"detail": "into_ticket_id: ticket 'T2' is closed; merge into an open ticket"}
    ))
    log_in(portal, "xinran_staff")
    response = portal.post("/console/T1/merge", data={"into_ticket_id": "T2"})
    assert response.status_code == 409 and "merge into an open ticket" in response.text


def test_a_merge_into_an_unknown_ticket_shows_not_found(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/merge", httpx.Response(404, json={"detail": "into_ticket_id: ticket 'T9' not found"}))
    log_in(portal, "xinran_staff")
    response = portal.post("/console/T1/merge", data={"into_ticket_id": "T9"})
    assert response.status_code == 404 and "没有找到这条记录" in response.text and "T9" in response.text


def test_a_supervisor_suspends_and_resumes_through_dispatch(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/tickets/T1/suspend", httpx.Response(200, json=console_ticket(suspended=True)))
    fake.on("dispatch", "POST", "/tickets/T1/resume", httpx.Response(200, json=console_ticket()))
    log_in(portal, "supervisor1")
    response = portal.post("/console/T1/suspend", data={"reason": "等待法院判决", "back": "dispatched"}, follow_redirects=False)
    assert response.headers["location"] == "/console?selected=T1&tab=dispatched&ok=suspended"
    assert sent_json(fake, "dispatch", "POST", "/tickets/T1/suspend") == {"reason": "等待法院判决"}
    response = portal.post("/console/T1/resume", data={"back": "elsewhere"}, follow_redirects=False)
    assert response.headers["location"] == "/console?selected=T1&tab=queue&ok=resumed"
    assert sent_json(fake, "dispatch", "POST", "/tickets/T1/resume") == {"note": None}


def test_a_422_for_a_too_short_suspend_reason_names_the_field(portal: TestClient, fake: FakeBackends) -> None:
    detail = [{"loc": ["body", "reason"], "msg": "too short", "type": "string_too_short", "ctx": {"min_length": 2}}]
    fake.on("dispatch", "POST", "/tickets/T1/suspend", httpx.Response(422, json={"detail": detail}))
    log_in(portal, "supervisor1")
    response = portal.post("/console/T1/suspend", data={"reason": "等"})
    assert response.status_code == 422 and "理由：至少 2 个字" in response.text


# ---------------------------------------------------------------------- 督办 page


def extension(**overrides) -> dict:
    row = {
        "request_event_id": "E1", "ticket_id": "T1", "community_id": "xinran", "department_id": "water", "amount": 3.0,
        "unit": "working_days", "reason": "需等待管材到货后施工", "status": "pending", "requested_at": NOW,
        "granted_amount": None, "granted_unit": None, "decision_note": None, "decided_by": None, "decided_at": None,
    }
    return {**row, **overrides}


@pytest.mark.parametrize("username", ["supervisor1", "admin"])
def test_the_supervision_page_lists_pending_extensions_and_escalated_tickets(
    portal: TestClient, fake: FakeBackends, username: str
) -> None:
    fake.on("dispatch", "GET", "/extensions", httpx.Response(200, json=[extension()]))
    fake.on("dashboard", "GET", "/escalated", httpx.Response(200, json=[{
        "id": "T9", "title": "暖气不热", "community_id": "xinran", "department_id": "housing", "status": "accepted",
        "escalation_level": 3, "updated_at": NOW,
    }]))
    log_in(portal, username)
    response = portal.get("/supervision")
    assert response.status_code == 200
    page = response.text
    assert "申请延期 3 工作日" in page and "需等待管材到货后施工" in page and "水务局" in page
    assert 'action="/supervision/extensions/E1/grant"' in page and 'action="/supervision/extensions/E1/refuse"' in page
    assert "暖气不热" in page and "督办 · 3级" in page
    (asked,) = fake.sent("dispatch", "GET", "/extensions")
    assert asked.url.params["status"] == "pending"


def test_granting_as_asked_posts_an_empty_body(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/extensions/E1/grant", httpx.Response(200, json=extension(status="granted")))
    log_in(portal, "supervisor1")
    response = portal.post("/supervision/extensions/E1/grant", data={"amount": "", "unit": "", "note": ""}, follow_redirects=False)
    assert response.headers["location"] == "/supervision?ok=granted"
    assert sent_json(fake, "dispatch", "POST", "/extensions/E1/grant") == {}


def test_granting_a_different_amount_posts_amount_unit_and_note(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/extensions/E1/grant", httpx.Response(200, json=extension(status="granted")))
    log_in(portal, "admin")
    portal.post(
        "/supervision/extensions/E1/grant", data={"amount": "2", "unit": "working_days", "note": "同意延期两个工作日"},
        follow_redirects=False,
    )
    assert sent_json(fake, "dispatch", "POST", "/extensions/E1/grant") == {
        "amount": 2.0, "unit": "working_days", "note": "同意延期两个工作日",
    }


def test_refusing_posts_the_note(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/extensions/E1/refuse", httpx.Response(200, json=extension(status="refused")))
    log_in(portal, "supervisor1")
    response = portal.post("/supervision/extensions/E1/refuse", data={"note": "材料已到，请按期办结"}, follow_redirects=False)
    assert response.headers["location"] == "/supervision?ok=refused"
    assert sent_json(fake, "dispatch", "POST", "/extensions/E1/refuse") == {"note": "材料已到，请按期办结"}


def test_deciding_an_already_decided_extension_shows_the_409(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "POST", "/extensions/E1/grant", httpx.Response(409, json={"detail": "extension request is already granted"}))
    log_in(portal, "supervisor1")
    response = portal.post("/supervision/extensions/E1/grant", data={})
    assert response.status_code == 409 and "extension request is already granted" in response.text


@pytest.mark.parametrize("amount", ["两天", "NaN", "inf"])  # NaN / inf parse as floats but are no JSON (fuzzing found a 500)
def test_a_grant_amount_that_is_not_a_number_is_a_message_not_a_500(portal: TestClient, fake: FakeBackends, amount: str) -> None:
    log_in(portal, "supervisor1")
    response = portal.post("/supervision/extensions/E1/grant", data={"amount": amount})
    assert response.status_code == 422 and "请填写数字" in response.text
    assert fake.requests == []


def test_the_supervision_page_is_a_503_when_dispatch_is_down(portal: TestClient, fake: FakeBackends) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    fake.on("dispatch", "GET", "/extensions", refuse)
    log_in(portal, "supervisor1")
    response = portal.get("/supervision")
    assert response.status_code == 503 and "社区转哨服务" in response.text


# ---------------------------------------------------------------------- admin: SLA policy and calendar

POLICY_DOCUMENT = {
    "version": 3,
    "warning_fraction": 0.8,
    "ladder": {"level2_after": {"amount": 4, "unit": "working_hours"}, "level3_after": {"amount": 1, "unit": "working_days"}},
    "joint_on_site": {"amount": 30, "unit": "minutes"},
    "urgencies": {
        "emergency": {
            "dispatch": {"amount": 15, "unit": "minutes"}, "accept": {"amount": 15, "unit": "minutes"},
            "contact": {"amount": 30, "unit": "minutes"}, "resolve": {"amount": 2, "unit": "clock_hours"},
            "rating": {"amount": 3, "unit": "days"},
            "ladder": {"level2_after": {"amount": 30, "unit": "minutes"}, "level3_after": {"amount": 1, "unit": "clock_hours"}},
        },
        **{
            u: {
                "dispatch": {"amount": 4, "unit": "working_hours"}, "accept": {"amount": 8, "unit": "working_hours"},
                "contact": {"amount": 1, "unit": "working_days"}, "resolve": {"amount": 7, "unit": "working_days"},
                "rating": {"amount": 7, "unit": "days"},
            }
            for u in ("urgent", "ordinary", "complex")
        },
    },
    "categories": {"water_supply": {"resolve": {"amount": 24, "unit": "clock_hours"}}},
}


@pytest.fixture
def admin_backend(fake: FakeBackends) -> FakeBackends:
    fake.on("dispatch", "GET", "/admin/sla-policy", httpx.Response(200, json={
        "version": 3, "source": "stored", "document": POLICY_DOCUMENT, "published_by": "admin", "published_at": NOW,
    }))
    fake.on("dispatch", "GET", "/admin/calendar", httpx.Response(200, json={
        "holidays": ["2026-12-31"], "workdays": ["2027-01-03"], "remove": [], "adjusted_by": "admin", "adjusted_at": NOW,
    }))
    return fake


def textarea(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    start = html.index(">", start) + 1
    import html as html_lib

    return html_lib.unescape(html[start:html.index("</textarea>", start)])


def test_the_admin_page_shows_the_policy_as_tables(portal: TestClient, admin_backend: FakeBackends) -> None:
    log_in(portal, "admin")
    response = portal.get("/admin")
    assert response.status_code == 200
    page = response.text
    assert "第 3 版" in page and "时限用去 80% 时催办" in page
    assert "再过 4 工作小时 升 2 级" in page and "再过 1 工作日 升 3 级" in page
    assert "30 分钟 内到场" in page
    for header in ("紧急程度", "转哨派单", "部门签收", "联系居民", "办结", "居民评价"):
        assert f"<th>{header}</th>" in page
    assert "<td>15 分钟</td>" in page and "<td>2 小时</td>" in page and "<td>7 工作日</td>" in page
    assert "30 分钟 / 1 小时" in page, "the emergency ladder is shown on its row"
    assert "供水" in page and "<td>24 小时</td>" in page


def test_the_publish_form_is_prefilled_with_the_next_version(portal: TestClient, admin_backend: FakeBackends) -> None:
    log_in(portal, "admin")
    draft = json.loads(textarea(portal.get("/admin").text, "document"))
    assert draft == {**POLICY_DOCUMENT, "version": 4}


def test_publishing_puts_the_parsed_document_to_dispatch(portal: TestClient, admin_backend: FakeBackends) -> None:
    admin_backend.on("dispatch", "PUT", "/admin/sla-policy", httpx.Response(200, json={
        "version": 4, "source": "stored", "document": POLICY_DOCUMENT, "published_by": "admin", "published_at": NOW,
    }))
    log_in(portal, "admin")
    document = {**POLICY_DOCUMENT, "version": 4, "warning_fraction": 0.7}
    response = portal.post("/admin/sla-policy", data={"document": json.dumps(document)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin?ok=policy"
    assert sent_json(admin_backend, "dispatch", "PUT", "/admin/sla-policy") == document


@pytest.mark.parametrize(
    ("status", "detail", "title"),
    [
        (409, "version: expected 4 (current is 3), got 7", "操作与当前状态冲突"),
        (422, "urgencies.ordinary.resolve.unit: must be one of seconds, minutes, clock_hours, days, working_hours, "
              "working_days, got 'weeks'", "提交的内容有误"),
    ],
)
def test_a_refused_policy_is_shown_on_the_admin_page_with_the_text_kept(
    portal: TestClient, admin_backend: FakeBackends, status: int, detail: str, title: str
) -> None:
    admin_backend.on("dispatch", "PUT", "/admin/sla-policy", httpx.Response(status, json={"detail": detail}))
    log_in(portal, "admin")
    typed = json.dumps({**POLICY_DOCUMENT, "version": 7}, indent=1)
    response = portal.post("/admin/sla-policy", data={"document": typed})
    assert response.status_code == status
    assert title in response.text and detail.replace("'", "&#39;") in response.text
    assert textarea(response.text, "document") == typed, "what the admin typed is kept"
    assert "第 3 版" in response.text, "the current policy is still shown"


def test_a_policy_that_is_not_json_is_refused_by_the_portal(portal: TestClient, admin_backend: FakeBackends) -> None:
    log_in(portal, "admin")
    response = portal.post("/admin/sla-policy", data={"document": '{"version": 4,\n "ladder": }'})
    assert response.status_code == 422 and "JSON 格式有误（第 2 行" in response.text
    assert admin_backend.sent("dispatch", "PUT", "/admin/sla-policy") == []


def test_a_policy_that_is_a_json_list_is_refused_by_the_portal(portal: TestClient, admin_backend: FakeBackends) -> None:
    log_in(portal, "admin")
    response = portal.post("/admin/sla-policy", data={"document": "[1, 2]"})
    assert response.status_code == 422 and "JSON 对象" in response.text
    assert admin_backend.sent("dispatch", "PUT", "/admin/sla-policy") == []


def test_the_calendar_form_shows_the_current_overrides_and_puts_date_lists(
    portal: TestClient, admin_backend: FakeBackends
) -> None:
    admin_backend.on("dispatch", "PUT", "/admin/calendar", httpx.Response(200, json={
        "holidays": [], "workdays": [], "remove": [], "adjusted_by": "admin", "adjusted_at": NOW,
    }))
    log_in(portal, "admin")
    page = portal.get("/admin").text
    assert textarea(page, "holidays") == "2026-12-31" and textarea(page, "workdays") == "2027-01-03"
    response = portal.post(
        "/admin/calendar",
        data={"holidays": "2026-12-31\n2027-02-16, 2027-02-17", "workdays": " 2027-01-03 ", "remove": ""},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin?ok=calendar"
    assert sent_json(admin_backend, "dispatch", "PUT", "/admin/calendar") == {
        "holidays": ["2026-12-31", "2027-02-16", "2027-02-17"], "workdays": ["2027-01-03"], "remove": [],
    }


def test_a_bad_calendar_date_is_shown_next_to_the_calendar_form(portal: TestClient, admin_backend: FakeBackends) -> None:
    detail = [{"loc": ["body", "holidays", 1], "msg": "String should match pattern", "type": "string_pattern_mismatch"}]
    admin_backend.on("dispatch", "PUT", "/admin/calendar", httpx.Response(422, json={"detail": detail}))
    log_in(portal, "admin")
    response = portal.post("/admin/calendar", data={"holidays": "2026-12-31\n12/31", "workdays": "", "remove": ""})
    assert response.status_code == 422
    assert "节假日第 2 项：格式不正确" in response.text
    assert textarea(response.text, "holidays") == "2026-12-31\n12/31"


def test_the_admin_page_is_a_503_when_dispatch_is_down(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("dispatch", "GET", "/admin/sla-policy", httpx.Response(502, text="Bad Gateway"))
    log_in(portal, "admin")
    response = portal.get("/admin")
    assert response.status_code == 503 and "服务暂时不可用" in response.text


# ---------------------------------------------------------------------- dashboard


@pytest.fixture
def dashboard_backend(fake: FakeBackends) -> FakeBackends:
    fake.on("dashboard", "GET", "/summary", httpx.Response(200, json={**summary("all", 3, 0.5, 0.5, None), "warned": 4}))
    fake.on("dashboard", "GET", "/rankings", httpx.Response(200, json=[]))
    fake.on("dashboard", "GET", "/escalated", httpx.Response(200, json=[]))
    fake.on("dashboard", "GET", "/digests", httpx.Response(200, json=[{
        "day": "2026-11-25", "scope": "department:housing", "occurred_at": NOW,
        "tickets": [{"ticket_id": "T9", "title": "暖气不热", "status": "accepted", "escalation_level": 2}],
    }]))
    fake.on("dashboard", "GET", "/rankings/history", httpx.Response(200, json=[{
        "month": "2026-10", "scope": "community", "occurred_at": NOW,
        "entries": [{"scope": "community:shiliuqiao", "filed": 12, "response_rate": 0.75, "closure_rate": 0.5,
                     "satisfaction_rate": 0.9}],
    }]))
    return fake


def test_the_dashboard_shows_the_warned_count_digest_and_ranking_history(
    portal: TestClient, dashboard_backend: FakeBackends
) -> None:
    log_in(portal, "leader1")
    page = portal.get("/dashboard?day=2026-11-25&month=2026-10").text
    assert '<div class="label">催办</div><div class="value">4</div>' in page
    assert "每日督办清单" in page and "住房和城乡建设委员会" in page and "暖气不热" in page and "督办 · 2级" in page
    assert "月度排名" in page and "石榴桥社区" in page and "75.0%" in page and "90.0%" in page
    assert dashboard_backend.sent("dashboard", "GET", "/digests")[0].url.params["day"] == "2026-11-25"
    assert dashboard_backend.sent("dashboard", "GET", "/rankings/history")[0].url.params["month"] == "2026-10"


def test_the_dashboard_defaults_to_today_and_this_month(portal: TestClient, dashboard_backend: FakeBackends) -> None:
    log_in(portal, "leader1")
    portal.get("/dashboard")
    day = dashboard_backend.sent("dashboard", "GET", "/digests")[0].url.params["day"]
    month = dashboard_backend.sent("dashboard", "GET", "/rankings/history")[0].url.params["month"]
    assert len(day) == 10 and day.startswith(month) and len(month) == 7


def test_a_refused_day_is_a_message_next_to_the_digest_not_a_broken_dashboard(
    portal: TestClient, dashboard_backend: FakeBackends
) -> None:
    dashboard_backend.on("dashboard", "GET", "/digests", httpx.Response(
        422, json={"detail": "day: '2026-02-30' is not a real date (Y-m-d)"}
    ))
    log_in(portal, "leader1")
    response = portal.get("/dashboard?day=2026-02-30")
    assert response.status_code == 200
    assert "提交的内容有误" in response.text and "is not a real date" in response.text
    assert "月度排名" in response.text and "石榴桥社区" in response.text


def test_empty_reports_say_so(portal: TestClient, dashboard_backend: FakeBackends) -> None:
    dashboard_backend.on("dashboard", "GET", "/digests", httpx.Response(200, json=[]))
    dashboard_backend.on("dashboard", "GET", "/rankings/history", httpx.Response(200, json=[]))
    log_in(portal, "leader1")
    page = portal.get("/dashboard?day=2026-11-25&month=2026-10").text
    assert "2026-11-25 没有督办清单" in page and "2026-10 还没有月度排名" in page


# ---------------------------------------------------------------------- resident timeline


def test_the_residents_timeline_labels_the_new_events(portal: TestClient, fake: FakeBackends) -> None:
    timeline = [
        {"event_type": "TicketFiled", "occurred_at": NOW, "note": "居民吹哨"},
        {"event_type": "ResidentContacted", "occurred_at": NOW, "note": "部门已与您联系"},
        {"event_type": "ExtensionGranted", "occurred_at": NOW, "note": "办理期限已延长"},
        {"event_type": "TicketSuspended", "occurred_at": NOW, "note": "等待法院判决"},
        {"event_type": "TicketResumed", "occurred_at": NOW, "note": "恢复办理"},
        {"event_type": "TicketEscalated", "occurred_at": NOW, "note": None},
        {"event_type": "TicketMerged", "occurred_at": NOW, "note": "与相同问题合并办理，请关注工单 T20261126-3FA2C91B"},
    ]
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(
        id="T1", status="merged", status_label="已合并", timeline=timeline
    )))
    log_in(portal, "resident1")
    page = portal.get("/tickets/T1").text
    for label in ("已联系您", "延期已批准", "暂停办理", "恢复办理", "督办", "已合并到 T20261126-3FA2C91B"):
        assert f"<strong>{label}</strong>" in page, label
    assert "等待法院判决" in page
    assert "ResidentContacted</strong>" not in page
