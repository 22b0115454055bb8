"""The wish pages with the wishes service faked: the public wall (no login, nothing personal, 认领 only for the
community's volunteers), the volunteer's 报到 and 圆梦, the wisher's confirmation, the staff's review queue."""
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


def wall_wish(**overrides) -> dict:
    wish = {
        "id": "T20261127-0000WISH", "community_id": "xinran", "public_title": "想请人陪我去医院复查",
        "public_summary": "腿脚不便，需要人陪同，电话138****8000", "category": "wish", "status": "open",
        "estimated_hours": 3, "needed_by": "2026-12-20", "claimant_label": None, "thanks_note": None, "posted_at": NOW,
    }
    return {**wish, **overrides}


def full_wish(**overrides) -> dict:
    return {
        **wall_wish(), "title": "想请人陪我去医院复查", "description": "腿脚不便", "grid_id": None, "channel": "h5",
        "is_mine": True, "claimed_by_me": False, "decline_reason": None, "claim_expires_at": None, "fulfil_note": None,
        "fulfil_photos": [], "fulfil_hours": None, "dispute_reason": None, "updated_at": NOW, **overrides,
    }


POINTS = {"points": 25, "minutes": 180, "hours": 3.0, "lines": [{"reason": "wish_fulfilled", "reason_zh": "圆梦", "points": 25, "minutes": 180, "created_at": NOW}]}


@pytest.fixture
def fake() -> FakeBackends:
    return FakeBackends()


@pytest.fixture
def portal(tmp_path, monkeypatch, fake: FakeBackends) -> Iterator[TestClient]:
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_DEMO_USERS", raising=False)
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    settings = Settings(data_dir=tmp_path, database_url=None, wishes_url="http://wishes.test", intake_url="http://intake.test")
    with PortalClient(create_app(settings, transport=httpx.MockTransport(fake.handle))) as client:
        yield client


def test_the_public_wall_needs_no_login_and_shows_no_claim_button_to_guests(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("wishes", "GET", "/public/communities/xinran/wall", httpx.Response(200, json=[wall_wish()]))
    page = portal.get("/wall/xinran")
    assert page.status_code == 200
    assert "想请人陪我去医院复查" in page.text and "138****8000" in page.text and "待认领" in page.text
    assert "我来圆梦" not in page.text and "登录</a> 后认领" in page.text
    assert "Authorization" not in fake.sent("wishes", "GET", "/public/communities/xinran/wall")[0].headers
    assert portal.get("/wall/atlantis").status_code == 404


def test_a_volunteer_claims_from_the_wall_and_a_refusal_is_shown_there_in_chinese(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("wishes", "GET", "/public/communities/xinran/wall", httpx.Response(200, json=[wall_wish()]))
    log_in(portal, "volunteer1")
    assert "我来圆梦" in portal.get("/wall/xinran").text
    fake.on("wishes", "POST", "/wishes/T20261127-0000WISH/claim", httpx.Response(409, json={"detail": "心愿已被认领，请选择其他心愿"}))
    refused = portal.post("/wall/xinran/T20261127-0000WISH/claim", follow_redirects=False)
    assert refused.status_code == 409 and "心愿已被认领，请选择其他心愿" in refused.text
    fake.on("wishes", "POST", "/wishes/T20261127-0000WISH/claim", httpx.Response(200, json=full_wish(status="claimed")))
    claimed = portal.post("/wall/xinran/T20261127-0000WISH/claim", follow_redirects=False)
    assert (claimed.status_code, claimed.headers["location"]) == (303, "/volunteer?ok=wish_claimed")


def test_a_volunteer_of_another_community_sees_no_claim_button(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("wishes", "GET", "/public/communities/shiliuqiao/wall", httpx.Response(200, json=[wall_wish(community_id="shiliuqiao")]))
    log_in(portal, "volunteer1")  # of xinran
    assert "我来圆梦" not in portal.get("/wall/shiliuqiao").text


def test_the_volunteer_page_reports_to_the_community_and_records_a_fulfilment(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("wishes", "GET", "/volunteers/me", httpx.Response(404, json={"detail": "您还没有到社区报到"}))
    fake.on("wishes", "GET", "/wishes/mine", httpx.Response(200, json=[full_wish(status="claimed", is_mine=False, claimed_by_me=True, claim_expires_at=NOW)]))
    fake.on("wishes", "GET", "/notices", httpx.Response(200, json=[{"wish_id": "T1", "kind": "claim_expired", "text": "您认领的心愿「读报」已超过认领期限，已回到心愿墙", "created_at": NOW}]))
    fake.on("wishes", "GET", "/me/points", httpx.Response(200, json=POINTS))
    log_in(portal, "volunteer1")
    page = portal.get("/volunteer")
    assert page.status_code == 200 and "提交报到" in page.text and "已回到心愿墙" in page.text and "登记圆梦" in page.text
    assert "25" in page.text and "圆梦" in page.text
    fake.on("wishes", "PUT", "/volunteers/me", httpx.Response(200, json={}))
    done = portal.post("/volunteer/register", data={"name": "王志强", "party_member": "true", "work_unit": "区卫健委", "skills": "陪诊、理发", "availability": "周末"}, follow_redirects=False)
    assert done.status_code == 303
    sent = json.loads(fake.sent("wishes", "PUT", "/volunteers/me")[0].content)
    assert sent == {"community_id": "xinran", "name": "王志强", "party_member": True, "work_unit": "区卫健委", "skills": ["陪诊", "理发"],
                    "availability": "周末", "kind": "person", "unit_type": None}
    fake.on("wishes", "POST", "/wishes/T20261127-0000WISH/fulfil", httpx.Response(200, json=full_wish(status="fulfilled")))
    recorded = portal.post("/volunteer/wishes/T20261127-0000WISH/fulfil", data={"note": "陪同复查", "hours": "2.5"}, follow_redirects=False)
    assert recorded.headers["location"] == "/volunteer?ok=wish_fulfilled"
    assert json.loads(fake.sent("wishes", "POST", "/wishes/T20261127-0000WISH/fulfil")[0].content) == {"note": "陪同复查", "hours": 2.5, "photos": []}
    bad = portal.post("/volunteer/wishes/T20261127-0000WISH/fulfil", data={"note": "好", "hours": "30"})
    assert bad.status_code == 422


def test_the_wisher_confirms_with_a_thank_you_and_pages_are_refused_to_other_roles(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("wishes", "GET", "/wishes/mine", httpx.Response(200, json=[full_wish(status="fulfilled", fulfil_note="陪同复查", fulfil_hours=2)]))
    fake.on("wishes", "GET", "/notices", httpx.Response(200, json=[]))
    fake.on("wishes", "GET", "/me/points", httpx.Response(200, json={**POINTS, "lines": []}))
    log_in(portal, "resident1")
    page = portal.get("/my-wishes")
    assert "确认已圆梦" in page.text and "有异议" in page.text and "陪同复查" in page.text
    fake.on("wishes", "POST", "/wishes/T20261127-0000WISH/confirm", httpx.Response(409, json={"detail": "心愿已确认，不能重复确认"}))
    twice = portal.post("/my-wishes/T20261127-0000WISH/confirm", data={"thanks_note": "谢谢"})
    assert twice.status_code == 409 and "不能重复确认" in twice.text
    assert portal.get("/volunteer", follow_redirects=False).status_code == 403
    assert portal.get("/wish-review", follow_redirects=False).status_code == 403


def test_staff_review_their_own_community_and_approve_with_public_wording(portal: TestClient, fake: FakeBackends) -> None:
    fake.on("wishes", "GET", "/communities/xinran/wishes", httpx.Response(200, json=[full_wish(status="pending_review")]))
    log_in(portal, "xinran_staff")
    page = portal.get("/wish-review?community=shiliuqiao")  # community staff always see their own
    assert page.status_code == 200 and "审核通过，上墙" in page.text and "不予通过" in page.text
    assert fake.sent("wishes", "GET", "/communities/xinran/wishes")[0].url.params["status"] == "pending_review"
    fake.on("wishes", "POST", "/wishes/T1/approve", httpx.Response(200, json=full_wish(status="open")))
    done = portal.post("/wish-review/xinran/T1/approve", data={"public_title": "陪老人复查", "public_summary": "", "estimated_hours": "3", "needed_by": "2026-12-20"}, follow_redirects=False)
    assert done.status_code == 303 and "ok=wish_approved" in done.headers["location"]
    assert json.loads(fake.sent("wishes", "POST", "/wishes/T1/approve")[0].content) == {"public_title": "陪老人复查", "estimated_hours": 3.0, "needed_by": "2026-12-20"}
    fake.on("wishes", "GET", "/communities/xinran/volunteers", httpx.Response(200, json=[{
        "id": "vol-1", "name": "王志强", "community_id": "xinran", "party_member": True, "work_unit": "区卫健委",
        "skills": ["陪诊"], "availability": "周末", "status": "pending", "registered_at": NOW, "confirmed_at": None}]))
    assert "确认报到" in portal.get("/wish-review?tab=volunteers").text


def test_a_unit_registers_as_one_claimant_with_its_type(portal: TestClient, fake: FakeBackends) -> None:
    """共建单位: the unit's name, its type, its contact as the work unit; never a party member."""
    fake.on("wishes", "PUT", "/volunteers/me", httpx.Response(200, json={}))
    log_in(portal, "volunteer1")
    data = {"kind": "unit", "unit_type": "school", "name": "区实验小学", "party_member": "true", "work_unit": "联系人 周老师", "skills": "课业辅导"}
    done = portal.post("/volunteer/register", data=data, follow_redirects=False)
    assert done.status_code == 303
    sent = json.loads(fake.sent("wishes", "PUT", "/volunteers/me")[-1].content)
    assert (sent["kind"], sent["unit_type"], sent["name"], sent["party_member"]) == ("unit", "school", "区实验小学", False)
    bad = portal.post("/volunteer/register", data={**data, "unit_type": "castle"})
    assert bad.status_code == 422 and len(fake.sent("wishes", "PUT", "/volunteers/me")) == 1


def test_a_volunteer_uploads_yuanmeng_photos_through_intake_and_records_them(portal: TestClient, fake: FakeBackends) -> None:
    """圆梦 photos: the picker posts to /volunteer/photos, sent on to intake with the volunteer's own token; the
    fulfilment names the references; another role cannot use the volunteer's upload."""
    ref = "/attachments/" + "a" * 32 + ".jpg"
    fake.on("wishes", "GET", "/volunteers/me", httpx.Response(404, json={"detail": "您还没有到社区报到"}))
    fake.on("wishes", "GET", "/wishes/mine", httpx.Response(200, json=[full_wish(status="claimed", is_mine=False, claimed_by_me=True)]))
    fake.on("wishes", "GET", "/notices", httpx.Response(200, json=[]))
    fake.on("wishes", "GET", "/me/points", httpx.Response(200, json=POINTS))
    fake.on("intake", "POST", "/attachments", httpx.Response(201, json={"photos": [{"url": ref}], "suggested_location": None}))
    log_in(portal, "volunteer1")
    assert 'data-upload="/volunteer/photos"' in portal.get("/volunteer").text
    uploaded = portal.post("/volunteer/photos", files=[("photos", ("a.jpg", b"\xff\xd8\xff", "image/jpeg"))])
    assert uploaded.status_code == 201 and uploaded.json()["photos"][0]["url"] == ref
    (sent,) = fake.sent("intake", "POST", "/attachments")
    assert sent.headers["Authorization"].startswith("Bearer ")
    fake.on("wishes", "POST", "/wishes/T20261127-0000WISH/fulfil", httpx.Response(200, json=full_wish(status="fulfilled")))
    portal.post("/volunteer/wishes/T20261127-0000WISH/fulfil", data={"note": "陪同复查", "hours": "2", "attachments": [ref]})
    assert json.loads(fake.sent("wishes", "POST", "/wishes/T20261127-0000WISH/fulfil")[0].content)["photos"] == [ref]
    foreign = portal.post("/volunteer/wishes/T20261127-0000WISH/fulfil", data={"note": "陪同复查", "hours": "2", "attachments": ["http://x/y.jpg"]})
    assert foreign.status_code == 422 and len(fake.sent("wishes", "POST", "/wishes/T20261127-0000WISH/fulfil")) == 1


def test_only_volunteers_upload_through_the_volunteer_picker(portal: TestClient, fake: FakeBackends) -> None:
    log_in(portal, "resident1")
    assert portal.post("/volunteer/photos", files=[("photos", ("a.jpg", b"x", "image/jpeg"))]).status_code == 403
    assert fake.sent("intake", "POST", "/attachments") == []
