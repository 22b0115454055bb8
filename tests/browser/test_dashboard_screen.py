"""数据大屏 in a real browser against the whole stack: a leader keeps this month's page open while a ticket is filed, settled
on the spot and rated over HTTP; the page's figures follow by polling (no reload) until they equal the dashboard
service's figures for the month with the new ticket in them, and the grid map is drawn from the GeoJSON."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx

from libs.auth import Principal, mint_token
from tests.browser.test_portal_flow import CONVERGE_TIMEOUT, browser, people, screenshots  # noqa: F401

RESIDENT = Principal(sub="r-dash", role="resident", name="李阿姨", community_id="xinran")
COMMUNITY = Principal(sub="s-xinran", role="community_staff", community_id="xinran")
LEADER = Principal(sub="leader", role="leader")


def auth(p: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(p)}"}


def until(check, what: str, timeout: float = CONVERGE_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {found!r}")
        time.sleep(0.5)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def test_a_leader_sees_this_months_rates_follow_a_closed_ticket_and_the_grid_map(stack, people, screenshots: Path) -> None:  # noqa: F811
    urls, month = stack.urls, {"period": "month"}
    http = httpx.Client(timeout=30)
    before = http.get(f"{urls['dashboard']}/summary", params=month, headers=auth(LEADER)).json()
    leader = people("leader1", mobile=False)
    page = leader.page
    page.goto("/dashboard?period=month")
    until(lambda: page.locator("#chart-map[data-grids]").count() and int(page.get_attribute("#chart-map", "data-grids") or 0) > 0,
          "the grid map drawn")
    assert page.locator("#chart-map canvas").count() >= 1 and page.locator("#chart-gauges canvas").count() >= 1
    first_update = page.get_attribute("body", "data-dashboard-updated")

    filed = http.post(f"{urls['intake']}/tickets", headers={**auth(RESIDENT), "Idempotency-Key": uuid.uuid4().hex},
                      json={"title": "楼道灯不亮", "description": "2单元三层楼道灯坏了", "category": "road", "community_id": "xinran",
                            "grid_id": "xinran-01", "contact_phone": "13812340000"})
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    until(lambda: any(t["id"] == ticket_id for t in http.get(f"{urls['dispatch']}/tickets", headers=auth(COMMUNITY)).json()),
          "the ticket in the community's queue")
    settled = http.post(f"{urls['dispatch']}/tickets/{ticket_id}/settle", headers=auth(COMMUNITY), json={"note": "已更换灯泡"})
    assert settled.status_code == 200, settled.text
    until(lambda: http.post(f"{urls['feedback']}/tickets/{ticket_id}/rating", headers=auth(RESIDENT),
                            json={"satisfaction": "unsatisfied", "solved": True}).status_code in (200, 201),
          "the rating taken")
    after = until(lambda: (s := http.get(f"{urls['dashboard']}/summary", params=month, headers=auth(LEADER)).json())["rated"]
                  == before["rated"] + 1 and s, "the dashboard counting the rating")
    assert after["filed"] == before["filed"] + 1
    assert after["rates"]["satisfaction_rate"] != before["rates"]["satisfaction_rate"]  # one more, unsatisfied

    def shown() -> bool:  # the polled figures, no reload
        return (page.inner_text("[data-kpi=filed]") == str(after["filed"])
                and page.inner_text("[data-kpi=satisfaction_rate]") == pct(after["rates"]["satisfaction_rate"])
                and page.inner_text("[data-kpi=closure_rate]") == pct(after["rates"]["closure_rate"]))

    until(shown, "the page's figures following the closed ticket")
    assert page.get_attribute("body", "data-dashboard-updated") != first_update
    page.screenshot(path=str(screenshots / "dashboard-1280.png"), full_page=True)
    assert not [e for e in leader.errors if "favicon" not in e], leader.errors
    http.close()
