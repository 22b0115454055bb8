"""Every process as `make run` starts them: a 微心愿 filed on the web lives its whole life over HTTP — the community
approves it, it is on the portal's public wall without the wisher's details, a volunteer who reported to the
community claims and fulfils it, the wisher confirms, and points and hours are credited once."""
from __future__ import annotations

import uuid

import httpx
import pytest

from libs.auth import Principal, mint_token
from tests.e2e.test_ticket_life import eventually

WISHER = Principal(sub="r-e2e-wish", role="resident", name="张秀兰", community_id="xinran")
STAFF = Principal(sub="s-e2e-wish", role="community_staff", community_id="xinran")
VOLUNTEER = Principal(sub="v-e2e-wish", role="volunteer", name="王志强", community_id="xinran")
PHONE = "13700137000"


def auth(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal)}"}


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(timeout=30) as client:
        yield client


def test_a_web_wish_is_approved_claimed_fulfilled_confirmed_and_credited_once(stack, http):
    intake, wishes, portal = stack.urls["intake"], stack.urls["wishes"], stack.urls["portal"]
    body = {"kind": "wish", "title": "想请人帮忙修老式收音机", "description": f"家里收音机坏了，联系{PHONE}",
            "category": "wish", "community_id": "xinran", "contact_phone": PHONE, "contact_name": "张秀兰"}
    filed = http.post(f"{intake}/tickets", json=body, headers={**auth(WISHER), "Idempotency-Key": uuid.uuid4().hex})
    assert filed.status_code == 201, filed.text
    wish_id = filed.json()["id"]

    eventually(lambda: http.get(f"{wishes}/wishes/{wish_id}", headers=auth(STAFF)).status_code == 200, what="the wish")
    approved = http.post(f"{wishes}/wishes/{wish_id}/approve", json={"estimated_hours": 2}, headers=auth(STAFF))
    assert approved.status_code == 200, approved.text
    wall = http.get(f"{portal}/wall/xinran")  # the portal's public page, no login
    assert wall.status_code == 200 and "想请人帮忙修老式收音机" in wall.text
    assert PHONE not in wall.text and "张秀兰" not in wall.text and "137****7000" in wall.text

    registered = http.put(f"{wishes}/volunteers/me", headers=auth(VOLUNTEER),
                          json={"community_id": "xinran", "name": "王志强", "party_member": True, "skills": ["维修"]})
    assert registered.status_code == 200, registered.text
    assert http.post(f"{wishes}/volunteers/{VOLUNTEER.sub}/confirm", headers=auth(STAFF)).status_code == 200
    claimed = http.post(f"{wishes}/wishes/{wish_id}/claim", headers=auth(VOLUNTEER))
    assert claimed.status_code == 200 and claimed.json()["claimant_label"] == "党员志愿者 王*"
    fulfilled = http.post(f"{wishes}/wishes/{wish_id}/fulfil", json={"note": "换了电容，能响了", "hours": 1.5}, headers=auth(VOLUNTEER))
    assert fulfilled.status_code == 200, fulfilled.text
    confirmed = http.post(f"{wishes}/wishes/{wish_id}/confirm", json={"thanks_note": "谢谢王师傅"}, headers=auth(WISHER))
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"

    points = eventually(lambda: (p := http.get(f"{wishes}/me/points", headers=auth(VOLUNTEER)).json())["points"] and p,
                        what="the volunteer's points")
    assert (points["points"], points["minutes"], len(points["lines"])) == (10 + round(5 * 1.5), 90, 1)
    shown = http.get(f"{portal}/wall/xinran/points")
    assert shown.status_code == 200 and "王*" in shown.text and "王志强" not in shown.text
    done = http.get(f"{portal}/wall/xinran", params={"status": "confirmed"})
    assert "谢谢王师傅" in done.text
