"""系统设置 · 基础数据 on the real stack (issue 12): an admin publishes the next directory version on dispatch (a new
community of 拱辰街道 and a category routed to a street department); it is stored with its change line, announced as
DirectoryPublished on `config`, and every service follows: intake files into the new community, dispatch routes the
new category. Version conflicts are 409, dropping an id 422, anyone but an admin 403."""
from __future__ import annotations

import uuid

from libs.directory import get_directory
from tests.integration.conftest import bearer, eventually
from tests.integration.street_scope_helpers import ADMIN, SUP_B, ok

RESIDENT = bearer("resident", "r-dir-1", community_id="haiguang")


def test_a_published_directory_version_reaches_every_service(service_clients):
    dispatch, intake = service_clients["dispatch"], service_clients["intake"]
    current = ok(dispatch.get("/admin/directory", headers=ADMIN))
    document = current["document"]
    assert {s["id"] for s in document["streets"]} == {"changyang", "gongchen"}

    for headers in (SUP_B, bearer("leader", "l-dir"), bearer("community_staff", "s-dir", community_id="xinran")):
        assert dispatch.put("/admin/directory", json={"version": current["version"] + 1, "change": "x", "document": document},
                            headers=headers).status_code == 403
    dropped = {**document, "communities": [c for c in document["communities"] if c["id"] != "xiluyuan"]}
    refused = dispatch.put("/admin/directory", json={"version": current["version"] + 1, "change": "删除社区", "document": dropped}, headers=ADMIN)
    assert refused.status_code == 422 and "xiluyuan" in refused.json()["detail"]
    broken = {**document, "categories": [*document["categories"], {"id": "parking", "name": "Parking"}]}
    refused = dispatch.put("/admin/directory", json={"version": current["version"] + 1, "change": "新增类别", "document": broken}, headers=ADMIN)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("document.categories")
    stale = dispatch.put("/admin/directory", json={"version": current["version"] + 2, "change": "跳过版本", "document": document}, headers=ADMIN)
    assert stale.status_code == 409

    before = intake.post("/tickets", json={"title": "路灯不亮", "description": "楼下路灯坏了", "category": "road", "community_id": "haiguang"},
                         headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex})
    assert before.status_code == 422  # not a community yet
    nxt = {
        **document,
        "communities": [*document["communities"], {"id": "haiguang", "name": "海光社区", "street": "gongchen", "grids": ["haiguang-01"]}],
        "categories": [*document["categories"], {"id": "street_stall", "name": "占道经营", "department": "gongchen_enforcement"}],
    }
    published = ok(dispatch.put("/admin/directory", json={"version": current["version"] + 1, "change": "新增社区 海光社区",
                                                          "document": nxt}, headers=ADMIN))
    assert (published["version"], published["source"], published["published_by"]) == (current["version"] + 1, "stored", "admin-scope")
    history = ok(dispatch.get("/admin/directory/history", headers=ADMIN))
    assert history[0]["change"] == "新增社区 海光社区" and history[0]["version"] == published["version"]

    # Every process follows the config topic: the in-force directory moves to the new version.
    eventually(lambda: ok(dispatch.get("/directory", headers=SUP_B))["version"] == published["version"])
    assert get_directory().street_of("haiguang") == "gongchen"

    filed = ok(intake.post(
        "/tickets", json={"title": "门口占道摆摊", "description": "小区门口有人摆摊", "category": "street_stall", "community_id": "haiguang"},
        headers={**RESIDENT, "Idempotency-Key": uuid.uuid4().hex},
    ))
    assert filed["community_id"] == "haiguang"
    held = eventually(lambda: (r := dispatch.get(f"/tickets/{filed['id']}", headers=SUP_B)).status_code == 200 and r.json())
    assert held["proposed_department_id"] == "gongchen_enforcement"  # the new routing rule
