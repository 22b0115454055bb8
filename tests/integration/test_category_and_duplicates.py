"""分类建议 and 疑似重复 over HTTP on real PostgreSQL and Kafka: a filing without a category gets the suggested one
(with its reason) in intake and in the community console; admins publish new keyword rules; the community changes a
category (分类调整) within its own scope only; open tickets of the same category nearby are hinted as duplicates and
merged in one click."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.integration.conftest import bearer, eventually

RESIDENT = bearer("resident", "r-sugg", community_id="xinran")
OTHER_RESIDENT = bearer("resident", "r-sugg-2", community_id="xinran")
STAFF = bearer("community_staff", "s-sugg", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-sugg-other", community_id="shiliuqiao")
URBAN = bearer("department_staff", "d-sugg", department_id="urban")
ADMIN = bearer("admin", "a-sugg")
M_PER_DEG_LAT = 111_195.0


def file(intake, headers=RESIDENT, **body):
    body = {"title": "一件事", "description": "详细说明", "community_id": "xinran", **body}
    made = intake.post("/tickets", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()


def in_console(dispatch, ticket_id, headers=STAFF):
    def probe():
        found = dispatch.get(f"/tickets/{ticket_id}", headers=headers)
        return found.json() if found.status_code == 200 else None

    return eventually(probe)


def test_a_filing_without_a_category_gets_the_suggested_one_with_its_reason(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    ticket = file(intake, title="井盖丢了", description="5号楼门前人行道的井盖不见了，路面塌陷")
    assert (ticket["category"], ticket["suggested_category"]) == ("road", "road")
    assert "井盖" in ticket["suggestion_reason"] and ticket["suggestion_reason"].startswith("匹配关键词")
    seen = in_console(dispatch, ticket["id"])
    assert (seen["category"], seen["suggested_category"], seen["proposed_department_id"]) == ("road", "road", "urban")
    assert seen["suggestion_reason"] == ticket["suggestion_reason"]


def test_a_filing_nothing_matches_goes_to_other_for_the_community_to_sort_out(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    ticket = file(intake, title="咨询一下", description="请问社区办事大厅周末开门吗")
    assert ticket["category"] == "other" and "未匹配" in ticket["suggestion_reason"]
    assert in_console(dispatch, ticket["id"])["proposed_department_id"] is None


def test_a_filing_that_names_its_category_keeps_it_and_records_no_suggestion(service_clients):
    ticket = file(service_clients["intake"], title="井盖丢了", description="井盖不见了", category="garbage")
    assert (ticket["category"], ticket["suggested_category"], ticket["suggestion_reason"]) == ("garbage", None, None)


def test_a_signed_in_filer_gets_ranked_suggestions_with_the_words_that_matched(service_clients):
    intake = service_clients["intake"]
    answer = intake.post("/categories/suggest", json={"title": "楼上装修", "description": "噪音很大，垃圾堆放在楼道"}, headers=RESIDENT)
    assert answer.status_code == 200, answer.text
    ranked = answer.json()["suggestions"]
    assert ranked[0]["category"] == "noise" and ranked[0]["name"] == "噪音扰民"
    assert {"装修", "噪音"} <= set(ranked[0]["matched"]) and "噪音" in ranked[0]["reason"]
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    empty = intake.post("/categories/suggest", json={"title": "", "description": ""}, headers=STAFF).json()
    assert empty["suggestions"] == [] and empty["fallback"] == "other"


def test_suggestions_are_for_filers_only(service_clients):
    intake = service_clients["intake"]
    assert intake.post("/categories/suggest", json={"title": "井盖"}, headers=URBAN).status_code == 403
    assert intake.post("/categories/suggest", json={"title": "井盖"}).status_code == 401


def test_admins_publish_new_rules_and_filings_use_them_at_once(service_clients):
    intake = service_clients["intake"]
    current = intake.get("/admin/category-rules", headers=ADMIN).json()
    assert current["source"] == "file" and current["version"] == 1
    document = {**current["document"], "version": 2}
    document["categories"] = {**document["categories"], "property": {**document["categories"]["property"], "充电桩": 5}}
    published = intake.put("/admin/category-rules", json=document, headers=ADMIN)
    assert published.status_code == 200, published.text
    assert (published.json()["version"], published.json()["source"], published.json()["published_by"]) == (2, "stored", "a-sugg")
    ticket = file(intake, title="充电桩坏了", description="地下车库的充电桩坏了")
    assert ticket["category"] == "property" and "充电桩" in ticket["suggestion_reason"]
    # the same version again, a stale one, a bad document, and anyone but an admin: refused, nothing published
    assert intake.put("/admin/category-rules", json=document, headers=ADMIN).status_code == 409
    bad = intake.put("/admin/category-rules", json={**document, "version": 3, "fallback": "nowhere"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("fallback:")
    assert intake.put("/admin/category-rules", json={**document, "version": 3}, headers=STAFF).status_code == 403
    assert intake.get("/admin/category-rules", headers=RESIDENT).status_code == 403
    assert intake.get("/admin/category-rules", headers=ADMIN).json()["version"] == 2


def test_the_community_changes_the_category_and_the_proposed_department_follows(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    ticket = file(intake, title="楼下很吵", description="每天晚上广场舞声音太大", category="noise")
    in_console(dispatch, ticket["id"])
    changed = dispatch.post(f"/tickets/{ticket['id']}/category", json={"category": "property", "note": "属物业管理"}, headers=STAFF)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["category"], changed.json()["proposed_department_id"]) == ("property", "housing")

    def followed():
        mine = intake.get(f"/tickets/{ticket['id']}", headers=RESIDENT).json()
        return mine if mine["category"] == "property" else None

    mine = eventually(followed)
    assert any(e["event_type"] == "TicketRecategorized" and e["note"] == "属物业管理" for e in mine["timeline"])
    assert dispatch.post(f"/tickets/{ticket['id']}/category", json={"category": "property"}, headers=STAFF).status_code == 409
    unknown = dispatch.post(f"/tickets/{ticket['id']}/category", json={"category": "parking"}, headers=STAFF)
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("category:")
    sent = dispatch.post(f"/tickets/{ticket['id']}/dispatch", json={"department_id": "housing"}, headers=STAFF)
    assert sent.status_code == 200
    assert dispatch.post(f"/tickets/{ticket['id']}/category", json={"category": "road"}, headers=STAFF).status_code == 409


@pytest.mark.parametrize(
    ("headers", "status"),
    [(OTHER_STAFF, 403), (RESIDENT, 403), (URBAN, 403), ({}, 401)],
    ids=["another community's staff", "a resident", "department staff", "nobody"],
)
def test_only_the_tickets_own_community_changes_its_category(service_clients, headers, status):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    ticket = file(intake, title="路灯不亮", description="3号楼路灯坏了", category="road")
    in_console(dispatch, ticket["id"])
    refused = dispatch.post(f"/tickets/{ticket['id']}/category", json={"category": "property"}, headers=headers)
    assert refused.status_code == status
    assert in_console(dispatch, ticket["id"])["category"] == "road"


def place(meters_north: float, lon: float) -> dict:
    """A point in grid xinran-02, `meters_north` of 39.7500."""
    return {"latitude": 39.7500 + meters_north / M_PER_DEG_LAT, "longitude": lon}


def hints(dispatch, ticket_id, headers=STAFF):
    answer = dispatch.get(f"/tickets/{ticket_id}/duplicates", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_an_open_ticket_of_the_same_category_nearby_is_hinted_and_merged_in_one_click(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    lon = 116.1300
    first = file(intake, title="垃圾桶满了", description="垃圾没人清运", category="garbage", **place(0, lon))
    in_console(dispatch, first["id"])
    again = file(intake, OTHER_RESIDENT, title="垃圾堆成山", description="垃圾桶旁边堆满了", category="garbage", **place(150, lon))
    far = file(intake, title="垃圾没人收", description="又满了", category="garbage", **place(450, lon))
    other_kind = file(intake, title="路面破了", description="有个坑", category="road", **place(20, lon))
    unplaced = file(intake, title="垃圾桶满了", description="没写位置", category="garbage")
    for t in (again, far, other_kind, unplaced):
        in_console(dispatch, t["id"])

    found = hints(dispatch, again["id"])
    assert [h["ticket_id"] for h in found] == [first["id"]]
    assert found[0]["distance_m"] == pytest.approx(150, abs=1) and found[0]["title"] == "垃圾桶满了"
    assert found[0]["status_label"]
    for t in (first, far, other_kind, unplaced):
        assert hints(dispatch, t["id"]) == [], t["title"]
    assert dispatch.get(f"/tickets/{again['id']}/duplicates", headers=OTHER_STAFF).status_code == 403
    several = [("ticket_id", again["id"]), ("ticket_id", far["id"])]  # the console's queue in one call
    batch = dispatch.get("/duplicates", params=several, headers=STAFF)
    assert batch.status_code == 200 and list(batch.json()) == [again["id"]]
    assert [h["ticket_id"] for h in batch.json()[again["id"]]] == [first["id"]]
    assert dispatch.get("/duplicates", params=several, headers=OTHER_STAFF).status_code == 403
    assert dispatch.get("/duplicates", params=several, headers=RESIDENT).status_code == 403

    merged = dispatch.post(f"/tickets/{again['id']}/merge", json={"into_ticket_id": first["id"]}, headers=STAFF)
    assert merged.status_code == 200, merged.text
    assert hints(dispatch, again["id"]) == []  # merged: nothing left to hint
    third = file(intake, title="垃圾桶满了", description="第三次反映", category="garbage", **place(100, lon))
    in_console(dispatch, third["id"])
    assert [h["ticket_id"] for h in hints(dispatch, third["id"])] == [first["id"]]  # the merged one is not a candidate


def test_a_ticket_filed_more_than_48_hours_before_is_not_hinted(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    lon = 116.1450
    old = file(intake, title="暖气不热", description="家里暖气不热", category="heating", **place(0, lon))
    in_console(dispatch, old["id"])
    engine = dispatch.app.state.runtime.engine
    with engine.begin() as conn:  # it was filed two days and an hour ago
        conn.execute(
            text("update dispatch_ticket set filed_at = filed_at - :age where id = :id"), {"age": timedelta(hours=49), "id": old["id"]}
        )
    recent = file(intake, title="暖气不热", description="也不热", category="heating", **place(30, lon))
    in_console(dispatch, recent["id"])
    within = file(intake, title="暖气不热", description="同样不热", category="heating", **place(60, lon))
    in_console(dispatch, within["id"])
    assert [h["ticket_id"] for h in hints(dispatch, recent["id"])] == []
    assert [h["ticket_id"] for h in hints(dispatch, within["id"])] == [recent["id"]]


def test_a_new_category_brings_its_own_duplicate_hints(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    lon = 116.1550
    water = file(intake, title="水管漏水", description="楼道水管漏水", category="water_supply", **place(0, lon))
    misfiled = file(intake, title="楼道漏水", description="楼道里都是水", category="property", **place(40, lon))
    in_console(dispatch, water["id"])
    in_console(dispatch, misfiled["id"])
    assert hints(dispatch, misfiled["id"]) == []
    changed = dispatch.post(f"/tickets/{misfiled['id']}/category", json={"category": "water_supply"}, headers=STAFF)
    assert changed.status_code == 200, changed.text
    assert [h["ticket_id"] for h in hints(dispatch, misfiled["id"])] == [water["id"]]
