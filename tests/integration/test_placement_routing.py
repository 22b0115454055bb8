"""Where a filing lands: a position alone puts it in the grid's community; a filing nothing places waits in the
street's triage queue (街道分拨) until a supervisor of the street assigns it; admins replace the grid boundaries and
every filing after the publication follows them. Scope: other streets' supervisors and community staff are refused."""
from __future__ import annotations

import copy
import json
import uuid

from libs.directory import get_directory
from services.intake.boundaries import DEFAULT_FILE
from tests.integration.conftest import bearer, eventually

TRIAGE = get_directory().triage_scope
NO_COMMUNITY = bearer("resident", "r-nowhere")  # a resident whose account names no community
XINRAN_RESIDENT = bearer("resident", "r-xinran-place", community_id="xinran")
SUPERVISOR = bearer("supervisor", "sup-changyang", street_id="changyang")
OTHER_STREET = bearer("supervisor", "sup-other", street_id="dongcheng")
XINRAN_STAFF = bearer("community_staff", "s-xinran-place", community_id="xinran")
JIAMENKOU_STAFF = bearer("community_staff", "s-jiamenkou-place", community_id="jiamenkou")
SHILIUQIAO_STAFF = bearer("community_staff", "s-shiliuqiao-place", community_id="shiliuqiao")
ADMIN = bearer("admin", "admin-place")
FAR_AWAY = {"latitude": 39.9087, "longitude": 116.3975}  # 天安门: outside every grid of 长阳镇


def file(client, headers, **fields):
    body = {"title": "路面坑洼", "description": "路面有大坑，车辆经过颠簸", "category": "road", **fields}
    made = client.post("/tickets", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert made.status_code == 201, made.text
    return made.json()


def seen_by(client, path, headers):
    def probe():
        found = client.get(path, headers=headers)
        return found.json() if found.status_code == 200 else None

    return eventually(probe)


def test_a_filing_with_only_a_position_lands_in_that_grids_community_queue(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    # The resident lives in 馨然嘉园, but reports a pothole in 佳门口's second grid: the position decides.
    ticket = file(intake, XINRAN_RESIDENT, latitude=39.765, longitude=116.18)
    assert (ticket["community_id"], ticket["grid_id"]) == ("jiamenkou", "jiamenkou-02")

    def in_queue():
        queue = dispatch.get("/tickets", headers=JIAMENKOU_STAFF).json()
        return next((t for t in queue if t["id"] == ticket["id"]), None)

    held = eventually(in_queue)
    assert (held["grid_id"], held["latitude"], held["longitude"]) == ("jiamenkou-02", 39.765, 116.18)
    assert dispatch.get(f"/tickets/{ticket['id']}", headers=XINRAN_STAFF).status_code == 403


def test_an_address_alone_places_the_filing_in_the_compounds_community(service_clients):
    ticket = file(service_clients["intake"], NO_COMMUNITY, address="石榴庄园8号楼北侧")
    assert (ticket["community_id"], ticket["grid_id"]) == ("shiliuqiao", None)


def test_a_filing_outside_every_grid_waits_for_the_street_and_a_supervisor_assigns_it(service_clients):
    intake, dispatch, dashboard = (service_clients[s] for s in ("intake", "dispatch", "dashboard"))
    ticket = file(intake, NO_COMMUNITY, address="不知道在哪", **FAR_AWAY)
    assert (ticket["community_id"], ticket["grid_id"]) == (TRIAGE, None)

    def in_street_queue():
        queue = dispatch.get("/street-triage", headers=SUPERVISOR).json()
        return next((t for t in queue if t["id"] == ticket["id"]), None)

    waiting = eventually(in_street_queue)
    assert waiting["status"] == "filed" and waiting["community_id"] == TRIAGE

    # No community's console holds it, and nobody may dispatch or settle it before it has a community.
    assert ticket["id"] not in {t["id"] for t in dispatch.get("/tickets", headers=XINRAN_STAFF).json()}
    early = dispatch.post(f"/tickets/{ticket['id']}/dispatch", json={"department_id": "urban"}, headers=SUPERVISOR)
    assert early.status_code == 409 and early.json()["detail"].startswith("community_id:")

    unknown = dispatch.post(f"/tickets/{ticket['id']}/assign-community", json={"community_id": "atlantis"}, headers=SUPERVISOR)
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("community_id: unknown community")
    wrong_grid = dispatch.post(
        f"/tickets/{ticket['id']}/assign-community", json={"community_id": "shiliuqiao", "grid_id": "xinran-01"}, headers=SUPERVISOR
    )
    assert wrong_grid.status_code == 422 and wrong_grid.json()["detail"].startswith("grid_id:")

    assigned = dispatch.post(
        f"/tickets/{ticket['id']}/assign-community",
        json={"community_id": "shiliuqiao", "grid_id": "shiliuqiao-02", "note": "来电确认在石榴庄园"},
        headers=SUPERVISOR,
    )
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["community_id"], assigned.json()["grid_id"], assigned.json()["status"]) == ("shiliuqiao", "shiliuqiao-02", "filed")
    assert ticket["id"] not in {t["id"] for t in dispatch.get("/street-triage", headers=SUPERVISOR).json()}
    again = dispatch.post(f"/tickets/{ticket['id']}/assign-community", json={"community_id": "xinran"}, headers=SUPERVISOR)
    assert again.status_code == 409

    # The community's console now holds it; its staff work it as any other ticket.
    in_console = [t["id"] for t in dispatch.get("/tickets", headers=SHILIUQIAO_STAFF).json()]
    assert ticket["id"] in in_console
    sent = dispatch.post(f"/tickets/{ticket['id']}/dispatch", json={"department_id": "urban"}, headers=SHILIUQIAO_STAFF)
    assert sent.status_code == 200, sent.text

    # The other services follow: the resident's view names the community, its staff may read it in intake, the
    # dashboard counts the filing for the community.
    def placed_in_intake():
        found = intake.get(f"/tickets/{ticket['id']}", headers=NO_COMMUNITY).json()
        return found if found["community_id"] == "shiliuqiao" else None

    mirrored = eventually(placed_in_intake)
    assert any(line["event_type"] == "TicketAssignedToCommunity" for line in mirrored["timeline"])
    assert intake.get(f"/tickets/{ticket['id']}", headers=SHILIUQIAO_STAFF).status_code == 200

    def counted():
        summary = dashboard.get("/summary", params={"scope": "community:shiliuqiao"}, headers=SUPERVISOR).json()
        return summary if summary["filed"] >= 1 else None

    assert eventually(counted)["filed"] >= 1


def test_the_street_queue_and_assignment_refuse_another_streets_supervisor_and_community_staff(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    ticket = file(intake, NO_COMMUNITY, **FAR_AWAY)
    seen_by(dispatch, f"/tickets/{ticket['id']}", SUPERVISOR)

    for headers in (OTHER_STREET, XINRAN_STAFF, bearer("supervisor", "sup-district")):  # no street in the token either
        listed = dispatch.get("/street-triage", headers=headers)
        assert listed.status_code == 403, listed.text
        refused = dispatch.post(f"/tickets/{ticket['id']}/assign-community", json={"community_id": "xinran"}, headers=headers)
        assert refused.status_code == 403, refused.text
    assert dispatch.get(f"/tickets/{ticket['id']}", headers=XINRAN_STAFF).status_code == 403
    assert dispatch.get(f"/tickets/{ticket['id']}", headers=SUPERVISOR).json()["community_id"] == TRIAGE


def test_admins_replace_the_grid_boundaries_and_filings_follow_them(service_clients):
    intake = service_clients["intake"]
    shipped = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    moved = copy.deepcopy(shipped)
    jiamenkou_01 = next(f for f in moved["features"] if f["properties"]["grid_id"] == "jiamenkou-01")
    x, y = FAR_AWAY["longitude"], FAR_AWAY["latitude"]
    jiamenkou_01["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [
            jiamenkou_01["geometry"]["coordinates"],
            [[[x - 0.01, y - 0.01], [x + 0.01, y - 0.01], [x + 0.01, y + 0.01], [x - 0.01, y + 0.01], [x - 0.01, y - 0.01]]],
        ],
    }
    before = intake.get("/admin/grids", headers=ADMIN).json()
    assert before["grids"] == 13  # 长阳镇 7, 拱辰街道 6

    for headers in (SUPERVISOR, XINRAN_STAFF, XINRAN_RESIDENT):
        assert intake.put("/admin/grids", json=moved, headers=headers).status_code == 403
        assert intake.get("/admin/grids", headers=headers).status_code == 403
    bad = copy.deepcopy(moved)
    bad["features"][0]["properties"]["grid_id"] = "moon-01"
    refused = intake.put("/admin/grids", json=bad, headers=ADMIN)
    assert refused.status_code == 422 and "features[0].properties.grid_id: unknown grid 'moon-01'" in refused.json()["detail"]

    published = intake.put("/admin/grids", json=moved, headers=ADMIN)
    assert published.status_code == 202, published.text
    version = published.json()["version"]
    assert version == before["version"] + 1

    try:
        eventually(lambda: intake.get("/admin/grids", headers=ADMIN).json()["version"] == version)
        ticket = file(intake, NO_COMMUNITY, **FAR_AWAY)
        assert (ticket["community_id"], ticket["grid_id"]) == ("jiamenkou", "jiamenkou-01")
    finally:  # later tests in this module see the shipped boundaries again
        restored = intake.put("/admin/grids", json=shipped, headers=ADMIN)
        assert restored.status_code == 202
        eventually(lambda: intake.get("/admin/grids", headers=ADMIN).json()["version"] == restored.json()["version"])
    assert file(intake, NO_COMMUNITY, **FAR_AWAY)["community_id"] == TRIAGE
