"""确认隐患 on the community console: a 隐患随手拍 offers 确认隐患属实 until it is confirmed, then says 已确认隐患;
other kinds offer nothing; the post goes to dispatch's verify-hazard with the note."""
from __future__ import annotations

import json

import httpx

from tests.unit.test_portal_pages import FakeBackends, dispatch_ticket, fake, log_in, portal, settings  # noqa: F401


def test_a_hazard_is_confirmed_from_the_console(portal, fake: FakeBackends) -> None:  # noqa: F811
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket(kind="hazard", title="井盖缺失")]))
    log_in(portal, "xinran_staff")
    assert 'action="/console/T1/verify-hazard"' in portal.get("/console").text
    fake.on("dispatch", "POST", "/tickets/T1/verify-hazard", httpx.Response(200, json=dispatch_ticket(kind="hazard")))
    done = portal.post("/console/T1/verify-hazard", data={"note": "现场核实属实"}, follow_redirects=False)
    assert done.headers["location"] == "/console?selected=T1&ok=hazard_verified"
    assert json.loads(fake.sent("dispatch", "POST", "/tickets/T1/verify-hazard")[0].content) == {"note": "现场核实属实"}
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket(kind="hazard", hazard_verified=True)]))
    page = portal.get("/console?ok=hazard_verified").text
    assert "已确认隐患" in page and "verify-hazard" not in page and "上报的居民会获得积分" in page


def test_other_kinds_offer_no_hazard_confirmation(portal, fake: FakeBackends) -> None:  # noqa: F811
    fake.on("dispatch", "GET", "/tickets", httpx.Response(200, json=[dispatch_ticket()]))
    log_in(portal, "xinran_staff")
    assert "verify-hazard" not in portal.get("/console").text


def test_a_refusal_from_dispatch_is_shown_in_chinese(portal, fake: FakeBackends) -> None:  # noqa: F811
    fake.on("dispatch", "POST", "/tickets/T1/verify-hazard", httpx.Response(409, json={"detail": "这条隐患已经确认过，不能重复确认"}))
    log_in(portal, "xinran_staff")
    refused = portal.post("/console/T1/verify-hazard", data={"note": ""})
    assert refused.status_code == 409 and "不能重复确认" in refused.text
