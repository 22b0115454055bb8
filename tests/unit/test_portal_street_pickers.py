"""Street scope in the portal's pickers (issue 12): a supervisor's console offers only their street's grids, 街道分拨
offers their street's communities (and the other streets' queues to pass a ticket on), 心愿审核 their street's
communities; leaders see every grid."""
from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from test_portal_pages import FakeBackends, fake, log_in, portal, settings  # noqa: F401  (fixtures are used by name)

GRIDS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": None, "properties": {"grid_id": g, "community_id": c, "name": n}}
    for g, c, n in (("xinran-01", "xinran", "馨然第一网格"), ("xiluyuan-01", "xiluyuan", "西潞园第一网格"))
]}


@pytest.mark.parametrize(("username", "shown", "hidden"), [
    ("supervisor2", "西潞园第一网格", "馨然第一网格"),
    ("supervisor1", "馨然第一网格", "西潞园第一网格"),
])
def test_a_supervisors_console_offers_only_their_streets_grids(portal: TestClient, fake: FakeBackends, username, shown, hidden):
    fake.on("intake", "GET", "/grids", httpx.Response(200, json=GRIDS))
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[]))
    log_in(portal, username)
    page = portal.get("/console").text
    assert shown in page and hidden not in page


def test_street_triage_offers_the_streets_communities_and_the_other_streets_queue(portal: TestClient, fake: FakeBackends):
    fake.on("dispatch", "GET", "/street-triage", httpx.Response(200, json=[{
        "id": "T20261127-00TRIAGE", "community_id": "street:gongchen", "grid_id": None, "kind": "problem", "title": "路灯不亮",
        "description": "路口的路灯坏了", "category": "road", "urgency": "ordinary", "address": "拱辰街道", "latitude": None,
        "longitude": None, "attachments": [], "anonymous": False, "reporter_phone_masked": None, "status": "filed",
        "escalation_level": 0, "warnings": [], "suspended": False, "channel": "web", "filed_at": "2026-11-27T01:00:00+00:00",
        "updated_at": "2026-11-27T01:00:00+00:00",
    }]))
    log_in(portal, "supervisor2")
    page = portal.get("/triage").text
    assert 'value="xiluyuan/xiluyuan-02"' in page and 'value="tianxingjie"' in page
    assert 'value="xinran"' not in page and 'value="street:changyang"' in page and "转长阳镇街道分拨" in page
