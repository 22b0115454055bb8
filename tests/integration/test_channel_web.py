"""The web / H5 channel: a grid worker's photos, GPS position and 现场核实 travel in the events to the community
console and the department; channels and 现场核实 that are not the caller's to use are refused, storing nothing."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.conftest import bearer, eventually

GRID = bearer("grid_worker", "grid-web", community_id="xinran")
RESIDENT = bearer("resident", "r-web", community_id="xinran")
STAFF = bearer("community_staff", "s-web", community_id="xinran")
URBAN = bearer("department_staff", "d-web", department_id="urban")
PHOTOS = ["/blobs/abc123.jpg", "https://files.example/def456.jpg"]


def file(client, body, headers):
    return client.post("/tickets", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})


def test_a_grid_workers_photo_position_and_site_check_reach_the_console_and_the_department(service_clients):
    intake, dispatch, department = (service_clients[s] for s in ("intake", "dispatch", "department"))
    body = {
        "kind": "hazard", "title": "井盖缺失", "description": "3号楼东侧雨水井盖缺失", "category": "road", "channel": "grid",
        "grid_id": "xinran-02", "latitude": 39.7511, "longitude": 116.1402, "attachments": PHOTOS, "verified_on_site": True,
    }
    filed = file(intake, body, GRID)
    assert filed.status_code == 201, filed.text
    ticket = filed.json()
    assert (ticket["kind"], ticket["verified_on_site"], ticket["attachments"]) == ("hazard", True, PHOTOS)

    def in_console():
        found = dispatch.get(f"/tickets/{ticket['id']}", headers=STAFF)
        return found.json() if found.status_code == 200 else None

    seen = eventually(in_console)
    assert (seen["latitude"], seen["longitude"], seen["attachments"], seen["verified_on_site"]) == (39.7511, 116.1402, PHOTOS, True)
    assert seen["kind"] == "hazard" and seen["grid_id"] == "xinran-02"

    sent = dispatch.post(f"/tickets/{ticket['id']}/dispatch", json={"department_id": "urban"}, headers=STAFF)
    assert sent.status_code == 200, sent.text

    def in_worklist():
        found = department.get(f"/tickets/{ticket['id']}", headers=URBAN)
        return found.json() if found.status_code == 200 else None

    held = eventually(in_worklist)
    assert (held["latitude"], held["longitude"], held["attachments"], held["verified_on_site"]) == (39.7511, 116.1402, PHOTOS, True)


@pytest.mark.parametrize(
    ("headers", "changes", "field"),
    [
        (RESIDENT, {"verified_on_site": True}, "verified_on_site"),  # only a grid worker confirms on site
        (STAFF, {"verified_on_site": True}, "verified_on_site"),
        (RESIDENT, {"channel": "grid"}, "channel"),  # the grid channel is the grid workers'
        (RESIDENT, {"channel": "hotline"}, "channel"),  # hotline, WeChat, SMS, Open311 come through their adapters
        (GRID, {"channel": "open311"}, "channel"),
    ],
)
def test_a_channel_or_site_check_that_is_not_the_callers_is_a_403_naming_the_field(service_clients, headers, changes, field):
    intake = service_clients["intake"]
    before = len(intake.get("/tickets/mine", headers=headers).json())
    refused = file(intake, {"title": "路灯不亮", "description": "5号楼路灯不亮", "category": "road", **changes}, headers)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(f"{field}:")
    assert len(intake.get("/tickets/mine", headers=headers).json()) == before


@pytest.mark.parametrize("kind", ["problem", "wish", "hazard", "consultation", "suggestion"])
def test_every_kind_is_filed_and_kept(service_clients, kind):
    made = file(service_clients["intake"], {"kind": kind, "title": "一件事", "description": "详细说明", "category": "road"}, RESIDENT)
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == kind
