"""共建单位 on PostgreSQL and Kafka: a school registers with its community as one claimant, only that community
confirms it, it claims a wish filed through intake, and the public wall names the school, not its contact."""
from __future__ import annotations

from tests.integration.conftest import bearer
from tests.integration.test_wishes_service import STAFF, file_wish

OTHER_STAFF = bearer("community_staff", "s-units-other", community_id="shiliuqiao")
SCHOOL = bearer("volunteer", "unit-it-school", community_id="xinran")


def test_a_school_registers_is_confirmed_by_its_community_and_claims_a_wish(service_clients):
    intake, wishes = service_clients["intake"], service_clients["wishes"]
    body = {"community_id": "xinran", "name": "区实验小学", "kind": "unit", "work_unit": "联系人 周老师", "skills": ["课业辅导"]}
    missing = wishes.put("/volunteers/me", json=body, headers=SCHOOL)
    assert missing.status_code == 422 and "unit_type" in missing.text
    registered = wishes.put("/volunteers/me", json={**body, "unit_type": "school"}, headers=SCHOOL)
    assert registered.status_code == 200 and registered.json()["kind"] == "unit"
    assert wishes.post("/volunteers/unit-it-school/confirm", headers=OTHER_STAFF).status_code == 403
    assert wishes.post("/volunteers/unit-it-school/confirm", headers=STAFF).status_code == 200

    wish_id = file_wish(intake, wishes, title="想请人给孩子辅导功课")
    assert wishes.post(f"/wishes/{wish_id}/approve", json={}, headers=STAFF).status_code == 200
    claimed = wishes.post(f"/wishes/{wish_id}/claim", headers=SCHOOL)
    assert claimed.status_code == 200, claimed.text
    wall = wishes.get("/public/communities/xinran/wall").json()
    assert [w["claimant_label"] for w in wall if w["id"] == wish_id] == ["共建单位 区实验小学"]
    assert "周老师" not in str(wall) and "unit-it-school" not in str(wall)
    assert "区实验小学" in wishes.get("/public/communities/xinran/lists").json()["units"]
