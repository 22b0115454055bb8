"""三张清单 and 服务项目 pages with the wishes service faked: the public lists name nobody; a volunteer of the
community signs up or withdraws and a refusal (名额已满) is named on the page; staff publish (Beijing times, a bad
field named in Chinese, nothing sent) and confirm attendance; each page is for its roles."""
from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.portal_client import PortalClient

from libs.settings import Settings
from services.portal.app import create_app
from tests.unit.test_portal_pages import FakeBackends, log_in

NOW = "2026-11-27T02:30:00+00:00"
PROJECT = {"id": "p-1", "community_id": "xinran", "title": "为老人义剪", "description": "70 岁以上老人免费理发",
           "place": "馨然嘉园党群服务中心", "starts_at": "2026-12-06T01:00:00+00:00", "ends_at": "2026-12-06T03:30:00+00:00",
           "capacity": 6, "hours": 2.5, "status": "published", "taken": 2, "my_signup": None, "signups": None}
LISTS = {"community_id": "xinran", "needs": [], "resources": [{"skill": "理发", "people": 3}], "units": ["区实验小学"],
         "projects": [PROJECT]}
SIGNUP = {"id": "s-1", "project_id": "p-1", "label": "党员志愿者 王*", "status": "signed_up", "signed_at": NOW,
          "confirmed_at": None, "mine": False}


@pytest.fixture
def fake() -> FakeBackends:
    fake = FakeBackends()
    fake.on("wishes", "GET", "/public/communities/xinran/lists", httpx.Response(200, json=LISTS))
    fake.on("wishes", "GET", "/me/projects", httpx.Response(200, json=[]))
    fake.on("wishes", "GET", "/communities/xinran/projects", httpx.Response(200, json=[{**PROJECT, "signups": [SIGNUP]}]))
    return fake


@pytest.fixture
def portal(tmp_path, monkeypatch, fake: FakeBackends) -> Iterator[TestClient]:
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_DEMO_USERS", raising=False)
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    settings = Settings(data_dir=tmp_path, database_url=None, wishes_url="http://wishes.test")
    with PortalClient(create_app(settings, transport=httpx.MockTransport(fake.handle))) as client:
        yield client


def test_the_lists_are_public_and_offer_no_sign_up_to_guests(portal: TestClient, fake: FakeBackends) -> None:
    page = portal.get("/lists/xinran")
    assert page.status_code == 200
    assert "为老人义剪" in page.text and "余 4 个名额" in page.text and "理发 · 3 人" in page.text and "区实验小学" in page.text
    assert "12月06日 09:00" in page.text  # Beijing time
    assert "我要报名" not in page.text and "登录</a> 后" in page.text
    assert "Authorization" not in fake.sent("wishes", "GET", "/public/communities/xinran/lists")[0].headers
    assert portal.get("/lists/atlantis").status_code == 404


def test_a_volunteer_signs_up_and_a_refusal_is_named(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "volunteer1")
    assert "我要报名" in portal.get("/lists/xinran").text
    fake.on("wishes", "POST", "/projects/p-1/signup", httpx.Response(409, json={"detail": "「为老人义剪」名额已满"}))
    refused = portal.post("/lists/xinran/projects/p-1/signup", follow_redirects=False)
    assert refused.status_code == 409 and "名额已满" in refused.text
    fake.on("wishes", "POST", "/projects/p-1/signup", httpx.Response(200, json=PROJECT))
    done = portal.post("/lists/xinran/projects/p-1/signup", follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/lists/xinran?ok=signed_up#projects")
    fake.on("wishes", "GET", "/me/projects", httpx.Response(200, json=[{**PROJECT, "my_signup": {**SIGNUP, "mine": True}}]))
    page = portal.get("/lists/xinran?ok=signed_up").text
    assert "报名成功" in page and "已报名" in page and "取消报名" in page and "我要报名" not in page


def test_a_volunteer_of_another_community_gets_no_sign_up_button(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("wishes", "GET", "/public/communities/shiliuqiao/lists", httpx.Response(200, json={**LISTS, "community_id": "shiliuqiao"}))
    log_in(portal, "volunteer1")  # of xinran
    assert "我要报名" not in portal.get("/lists/shiliuqiao").text
    assert fake.sent("wishes", "GET", "/me/projects") == []


def test_staff_publish_with_beijing_times_and_confirm_attendance(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    page = portal.get("/projects/manage")
    assert page.status_code == 200 and "党员志愿者 王*" in page.text and "确认到场" in page.text and "2/6 人" in page.text
    fake.on("wishes", "POST", "/communities/xinran/projects", httpx.Response(201, json=PROJECT))
    form = {"title": "为老人义剪", "place": "党群服务中心", "starts_at": "2026-12-06T09:00", "ends_at": "2026-12-06T11:30",
            "capacity": "6", "hours": "2.5", "description": ""}
    done = portal.post("/projects/manage/xinran", data=form, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/projects/manage?community=xinran&ok=project_published")
    sent = json.loads(fake.sent("wishes", "POST", "/communities/xinran/projects")[0].content)
    assert (sent["starts_at"], sent["ends_at"], sent["capacity"]) == ("2026-12-06T09:00:00+08:00", "2026-12-06T11:30:00+08:00", 6)
    fake.on("wishes", "POST", "/projects/p-1/signups/s-1/attended", httpx.Response(409, json={"detail": "已确认过这位志愿者到场，不能重复确认"}))
    again = portal.post("/projects/manage/xinran/p-1/signups/s-1/attended", follow_redirects=False)
    assert again.status_code == 409 and "不能重复确认" in again.text


def test_a_bad_project_form_names_the_field_and_sends_nothing(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    refused = portal.post("/projects/manage/xinran", data={"title": "义剪", "place": "中心", "starts_at": "2026-12-06T09:00",
                                                          "ends_at": "2026-12-06T11:30", "capacity": "0", "hours": "2"})
    assert refused.status_code == 422 and "名额" in refused.text
    assert fake.sent("wishes", "POST", "/communities/xinran/projects") == []


def test_community_staff_manage_their_own_community_only(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "xinran_staff")
    portal.get("/projects/manage?community=shiliuqiao")
    assert fake.sent("wishes", "GET", "/communities/shiliuqiao/projects") == []


@pytest.mark.parametrize(("username", "path"), [("resident1", "/projects/manage"), ("volunteer1", "/projects/manage")])
def test_the_staff_page_is_for_staff(portal: TestClient, username: str, path: str) -> None:
    log_in(portal, username)
    assert portal.get(path).status_code == 403


def test_signing_up_is_for_volunteers(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "resident1")
    assert portal.post("/lists/xinran/projects/p-1/signup", follow_redirects=False).status_code == 403
    assert fake.sent("wishes", "POST", "/projects/p-1/signup") == []
