"""我的网格 in intake: a grid worker lists the tickets of their own grids (their community's when they have none) and
may open them; a grid worker of another grid or another community neither lists nor opens them. The grid map and
"which grid is this point in" that the filing form's map uses; a position outside every grid goes to the street."""
from __future__ import annotations

import uuid

from libs.directory import get_directory
from tests.integration.conftest import bearer

# Points well inside each grid (shapely's representative points of config/grids.geojson).
IN_XINRAN_01 = {"latitude": 39.74064, "longitude": 116.14039}
IN_XINRAN_03 = {"latitude": 39.7616, "longitude": 116.1404}
IN_JIAMENKOU_01 = {"latitude": 39.741, "longitude": 116.17968}
FAR_AWAY = {"latitude": 39.9087, "longitude": 116.3975}  # 天安门: outside every grid of 长阳镇

RESIDENT = bearer("resident", "r-grid-list", community_id="xinran")
PATROL_01 = bearer("grid_worker", "g-xinran-01", community_id="xinran", grid_ids=["xinran-01", "xinran-02"])
PATROL_03 = bearer("grid_worker", "g-xinran-03", community_id="xinran", grid_ids=["xinran-03"])  # same community
WHOLE_XINRAN = bearer("grid_worker", "g-xinran-all", community_id="xinran")  # no grids: the whole community
JIAMENKOU = bearer("grid_worker", "g-jiamenkou", community_id="jiamenkou", grid_ids=["jiamenkou-01"])
NOWHERE = bearer("grid_worker", "g-nowhere")  # neither grids nor a community


def file(client, headers, **fields):
    body = {"title": "路灯不亮", "description": "小区北门路灯连续三晚不亮", "category": "road", **fields}
    made = client.post("/tickets", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()


def listed(client, headers, **params) -> list[str]:
    answer = client.get("/tickets/grid", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return [t["id"] for t in answer.json()]


def test_a_grid_worker_lists_and_opens_the_tickets_of_their_grids_only(service_clients):
    intake = service_clients["intake"]
    first = file(intake, RESIDENT, **IN_XINRAN_01)
    second = file(intake, RESIDENT, **IN_XINRAN_01)
    elsewhere = file(intake, RESIDENT, **IN_XINRAN_03)
    other_community = file(intake, RESIDENT, **IN_JIAMENKOU_01)
    assert (first["grid_id"], elsewhere["grid_id"], other_community["grid_id"]) == ("xinran-01", "xinran-03", "jiamenkou-01")

    mine = listed(intake, PATROL_01)
    assert mine[:2] == [second["id"], first["id"]]  # newest first
    assert elsewhere["id"] not in mine and other_community["id"] not in mine
    assert listed(intake, PATROL_01, limit=1) == [second["id"]]
    assert listed(intake, PATROL_01, limit=1, offset=1) == [first["id"]]
    assert first["id"] in listed(intake, PATROL_01, status="filed")
    assert listed(intake, PATROL_01, status="closed") == []

    assert elsewhere["id"] in listed(intake, PATROL_03) and first["id"] not in listed(intake, PATROL_03)
    everything = listed(intake, WHOLE_XINRAN)  # no grids: the community's tickets, whichever grid
    assert {first["id"], second["id"], elsewhere["id"]} <= set(everything) and other_community["id"] not in everything
    assert listed(intake, JIAMENKOU) == [other_community["id"]]
    assert listed(intake, NOWHERE) == []

    # Opening one: the grid's worker (and the community-wide one) may; another grid's or community's may not.
    for headers in (PATROL_01, WHOLE_XINRAN):
        seen = intake.get(f"/tickets/{first['id']}", headers=headers)
        assert seen.status_code == 200 and seen.json()["grid_id"] == "xinran-01"
    for headers in (PATROL_03, JIAMENKOU, NOWHERE):
        assert intake.get(f"/tickets/{first['id']}", headers=headers).status_code == 404
    assert intake.get(f"/tickets/{other_community['id']}", headers=JIAMENKOU).status_code == 200


def test_the_grid_list_is_a_grid_workers_and_refuses_bad_parameters(service_clients):
    intake = service_clients["intake"]
    assert intake.get("/tickets/grid").status_code == 401
    for role, scope in (("resident", {"community_id": "xinran"}), ("community_staff", {"community_id": "xinran"}),
                        ("supervisor", {"street_id": "changyang"})):
        refused = intake.get("/tickets/grid", headers=bearer(role, f"{role}-grid", **scope))
        assert refused.status_code == 403, refused.text
    for params, field in (({"status": "lost"}, "status"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset")):
        bad = intake.get("/tickets/grid", headers=PATROL_01, params=params)
        assert bad.status_code == 422 and field in str(bad.json()["detail"]), bad.text


def test_a_grid_worker_still_opens_what_they_filed_outside_their_grids(service_clients):
    intake = service_clients["intake"]
    filed = file(intake, PATROL_03, channel="grid", **IN_JIAMENKOU_01)
    assert filed["community_id"] == "jiamenkou"
    assert intake.get(f"/tickets/{filed['id']}", headers=PATROL_03).status_code == 200  # their own filing
    assert filed["id"] not in listed(intake, PATROL_03)  # but it is not in their grids
    assert intake.get(f"/tickets/{filed['id']}", headers=PATROL_01).status_code == 404


def test_the_grid_map_and_locate_answer_anyone_signed_in(service_clients):
    intake = service_clients["intake"]
    xinran = intake.get("/grids", params={"community_id": "xinran"}, headers=RESIDENT)
    assert xinran.status_code == 200
    assert [f["properties"]["grid_id"] for f in xinran.json()["features"]] == ["xinran-01", "xinran-02", "xinran-03"]
    assert len(intake.get("/grids", headers=JIAMENKOU).json()["features"]) == 13  # both streets
    assert intake.get("/grids").status_code == 401
    unknown = intake.get("/grids", params={"community_id": "atlantis"}, headers=RESIDENT)
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("community_id:")

    inside = intake.get("/grids/locate", params=IN_JIAMENKOU_01, headers=RESIDENT).json()
    assert inside["grid_id"] == "jiamenkou-01" and inside["community_id"] == "jiamenkou" and "佳门口" in inside["name"]
    assert intake.get("/grids/locate", params=FAR_AWAY, headers=RESIDENT).json() == {
        "grid_id": None, "community_id": None, "name": None
    }
    bad = intake.get("/grids/locate", params={"latitude": 91, "longitude": 116.1}, headers=RESIDENT)
    assert bad.status_code == 422 and "latitude" in str(bad.json()["detail"])


def test_a_web_filing_positioned_outside_every_grid_goes_to_the_street_not_the_filers_community(service_clients):
    intake = service_clients["intake"]
    outside = file(intake, RESIDENT, **FAR_AWAY)
    assert (outside["community_id"], outside["grid_id"]) == (get_directory().triage_scope, None)
    by_address = file(intake, RESIDENT, address="石榴庄园8号楼北侧", **FAR_AWAY)  # the address still places it
    assert by_address["community_id"] == "shiliuqiao"
    unpositioned = file(intake, RESIDENT)  # no position at all: the filer's community, as before
    assert unpositioned["community_id"] == "xinran"
