"""一件诉求的全过程 (/staff/tickets/{id}), staff notes (内部/公开), the resident's honest rating form and Chinese error
pages, with faked backends."""
from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from test_portal_pages import NOW, FakeBackends, fake, intake_ticket, log_in, portal, settings  # noqa: F401

LATER = "2026-11-27T06:00:00+00:00"  # 14:00 in Beijing
DUE = "2026-11-30T09:00:00+00:00"


def line(event_type: str, note: str | None = None, *, visibility: str = "public", role: str | None = "community_staff",
         actor: str | None = "xinran_staff", department_id: str | None = None, **details) -> dict:
    return {"event_type": event_type, "occurred_at": LATER, "note": note, "visibility": visibility, "actor_role": role,
            "actor_id": actor, "department_id": department_id, "details": details}


STORY = [
    line("TicketFiled", "居民吹哨", role="resident", actor="resident1", photos=["/attachments/" + "a" * 32 + ".jpg"]),
    line("TicketDispatched", "请三日内处置", visibility="internal", department_id="urban"),
    line("StageDeadlineSet", visibility="staff", role="system", actor="workflow", stage="resolve", deadline=DUE, warn_at=None),
    line("TicketReturned", "属物业管理范围", visibility="internal", role="department_staff", actor="urban_staff", department_id="urban"),
    line("TicketDispatched", None, visibility="internal", department_id="housing"),
    line("TicketNoteAdded", "物业经理电话已沟通", visibility="staff"),
    line("DeadlineWarned", visibility="staff", role="system", actor="workflow", stage="accept", deadline=DUE),
    line("TicketEscalated", role="system", actor="workflow", stage="accept", level=2, deadline=DUE),
    line("TicketRated", "灯还是不亮", role="resident", actor="resident1", satisfaction="unsatisfied", solved=False),
    line("TicketReopened", "灯还是不亮", role="resident", actor="resident1", reopen_count=1, joint_handling=False),
]


def story(**overrides) -> dict:
    deadline = {"stage": "dispatch", "due": DUE, "warn_at": None, "due_text": "11月30日 17:00", "state": "running",
                "working_seconds_left": 7200, "time_left": "剩余 2小时"}
    return {**intake_ticket(id="T1", status="reopened", status_label="重办中", department_id=None, deadlines=[deadline]),
            "story": STORY, "merged_from": ["T0"], "departments": ["urban", "housing"], **overrides}


@pytest.mark.parametrize("username", ["xinran_staff", "urban_staff", "supervisor1", "leader1", "admin"])
def test_staff_read_the_whole_story_with_who_when_what_and_the_internal_texts(
    portal: TestClient, fake: FakeBackends, username: str
) -> None:
    fake.on("intake", "GET", "/tickets/T1/story", httpx.Response(200, json=story()))
    log_in(portal, username)
    page = portal.get("/staff/tickets/T1")
    assert page.status_code == 200, page.text
    html = page.text
    assert "馨然嘉园社区·赵书记（社区工作人员）" in html and "城管委·周科长（部门工作人员）" in html and "系统" in html
    assert "2026-11-27 14:00" in html  # Beijing time
    assert "派至 城市管理委员会" in html and "派至 住房和城乡建设委员会" in html and "属物业管理范围" in html and "请三日内处置" in html
    assert "办结时限 11月30日 17:00" in html and "2级督办 · 部门签收超时" in html and "部门签收时限 11月30日 17:00 将到" in html
    assert "物业经理电话已沟通" in html and "仅工作人员可见" in html
    assert "不满意 · 未解决" in html and "第 1 次重办" in html and "重办原因" in html and "退单理由" in html
    assert 'href="/staff/tickets/T0"' in html and "剩余 2小时" in html and "城市管理委员会 → 住房和城乡建设委员会" in html
    assert "thumbnail.jpg" in html  # the filing's photo
    (sent,) = fake.sent("intake", "GET", "/tickets/T1/story")
    assert sent.headers["authorization"].startswith("Bearer ")


@pytest.mark.parametrize("username", ["resident1", "grid1", "operator1"])
def test_residents_grid_workers_and_operators_are_refused_the_staff_page_without_a_backend_call(
    portal: TestClient, fake: FakeBackends, username: str
) -> None:
    log_in(portal, username)
    page = portal.get("/staff/tickets/T1")
    assert page.status_code == 403 and "没有访问权限" in page.text
    assert fake.requests == []


def test_a_ticket_outside_the_staffs_scope_reads_in_chinese(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/T1/story", httpx.Response(404, json={"detail": "ticket 'T1' not found"}))
    log_in(portal, "shiliuqiao_staff")
    page = portal.get("/staff/tickets/T1")
    assert page.status_code == 404 and "未找到该诉求" in page.text and "not found" not in page.text


def test_a_forbidden_answer_reads_in_chinese(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/T9", httpx.Response(403, json={"detail": "community 'xinran' is outside your scope"}))
    log_in(portal, "resident1")
    page = portal.get("/tickets/T9")
    assert page.status_code == 403 and "无权查看" in page.text and "outside your scope" not in page.text


@pytest.mark.parametrize("visibility", ["internal", "public"])
def test_staff_add_a_note_marked_internal_or_public(portal: TestClient, fake: FakeBackends, visibility: str) -> None:
    fake.on("intake", "POST", "/tickets/T1/notes", httpx.Response(201, json={}))
    log_in(portal, "urban_staff")
    response = portal.post("/staff/tickets/T1/notes", data={"note": " 明早到场 ", "visibility": visibility}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/tickets/T1?ok=noted")
    (sent,) = fake.sent("intake", "POST", "/tickets/T1/notes")
    assert json.loads(sent.content) == {"text": "明早到场", "visibility": visibility}


@pytest.mark.parametrize(("data", "message"), [
    ({"note": "  ", "visibility": "internal"}, "备注内容：必填"),
    ({"note": "明早到场"}, "公开范围：请选择"),
    ({"note": "明早到场", "visibility": "everyone"}, "公开范围：请选择"),
])
def test_a_note_without_text_or_a_choice_is_named_in_chinese_and_nothing_is_sent(
    portal: TestClient, fake: FakeBackends, data: dict, message: str
) -> None:
    fake.on("intake", "GET", "/tickets/T1/story", httpx.Response(200, json=story()))
    log_in(portal, "xinran_staff")
    page = portal.post("/staff/tickets/T1/notes", data=data)
    assert page.status_code == 422 and message in page.text
    assert fake.sent("intake", "POST", "/tickets/T1/notes") == []


def test_a_note_on_a_closed_ticket_is_refused_beside_the_form_in_chinese(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/T1/story", httpx.Response(200, json=story(status="closed", status_label="已关闭")))
    fake.on("intake", "POST", "/tickets/T1/notes", httpx.Response(409, json={"detail": "ticket 'T1' is closed; its story takes no more notes"}))
    log_in(portal, "xinran_staff")
    page = portal.post("/staff/tickets/T1/notes", data={"note": "补充", "visibility": "internal"})
    assert page.status_code == 409 and "已关闭或已合并，不能再写备注" in page.text and "is closed" not in page.text


# ---------------------------------------------------------------------- the resident's page


def test_the_resident_page_names_the_department_and_when_it_is_due(portal: TestClient, fake: FakeBackends) -> None:
    deadline = {"stage": "resolve", "due": DUE, "warn_at": None, "due_text": "11月30日 17:00", "state": "running",
                "working_seconds_left": 7200, "time_left": "剩余 2小时"}
    timeline = [{"event_type": "TicketFiled", "occurred_at": NOW, "note": "居民吹哨"},
                {"event_type": "TicketDispatched", "occurred_at": NOW, "note": None, "department_id": "urban"},
                {"event_type": "TicketNoteAdded", "occurred_at": NOW, "note": "已安排师傅明早到场"}]
    ticket = intake_ticket(id="T1", status="accepted", department_id="urban", deadlines=[deadline], timeline=timeline)
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=ticket))
    log_in(portal, "resident1")
    html = portal.get("/tickets/T1").text
    assert "承办部门" in html and "城市管理委员会" in html and "办结时限" in html and "11月30日 17:00" in html and "剩余 2小时" in html
    assert "办理说明" in html and "已安排师傅明早到场" in html


def test_the_rating_form_preselects_nothing(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", status="resolved")))
    log_in(portal, "resident1")
    html = portal.get("/tickets/T1").text
    assert 'action="/tickets/T1/rating"' in html and "checked" not in html


@pytest.mark.parametrize(("data", "field"), [
    ({}, "满意度"), ({"solved": "no"}, "满意度"), ({"satisfaction": "satisfied"}, "是否解决"),
    ({"satisfaction": "great", "solved": "yes"}, "满意度"),
])
def test_rating_without_an_explicit_choice_is_refused_naming_the_field_and_nothing_is_sent(
    portal: TestClient, fake: FakeBackends, data: dict, field: str
) -> None:
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", status="resolved")))
    log_in(portal, "resident1")
    page = portal.post("/tickets/T1/rating", data={**data, "comment": "还行"})
    assert page.status_code == 422 and f"{field}：请选择" in page.text
    assert fake.sent("feedback", "POST", "/tickets/T1/rating") == []
    assert "还行" in page.text  # what was typed is kept


def test_right_after_rating_the_page_says_rated_with_the_answer_before_intake_catches_up(
    portal: TestClient, fake: FakeBackends
) -> None:
    fake.on("feedback", "POST", "/tickets/T1/rating", httpx.Response(200, json={}))
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", status="resolved", status_label="已办结，待评价")))
    log_in(portal, "resident1")
    response = portal.post("/tickets/T1/rating", data={"satisfaction": "unsatisfied", "solved": "no", "comment": "没修好"})
    assert response.status_code == 200 and str(response.url).endswith("/tickets/T1?ok=rated&satisfaction=unsatisfied&solved=no")
    assert "已评价" in response.text and "不满意 · 未解决" in response.text
    assert "已办结，待评价" not in response.text and "/rating" not in response.text
    (sent,) = fake.sent("feedback", "POST", "/tickets/T1/rating")
    assert json.loads(sent.content) == {"satisfaction": "unsatisfied", "solved": False, "comment": "没修好"}


def test_the_rated_notice_echoes_only_known_choices(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("intake", "GET", "/tickets/T1", httpx.Response(200, json=intake_ticket(id="T1", status="resolved")))
    log_in(portal, "resident1")
    html = portal.get("/tickets/T1?ok=rated&satisfaction=<script>x</script>&solved=maybe").text
    assert "已评价" in html and "<script>x" not in html and "/rating" not in html
