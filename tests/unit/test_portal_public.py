"""政务公开 (issue 12): without login, a month's 三率 of the district, each street's communities ranked, the departments
ranked, wishes fulfilled and points per community — aggregates only (what a ranking row says of people never reaches
the page), asked of the dashboard once a minute per month; a bad month is named in Chinese."""
from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from services.portal.pages import public
from test_portal_pages import FakeBackends, fake, portal, settings  # noqa: F401  (fixtures are used by name)

RATES = {"response_rate": 0.9, "resolution_rate": 0.75, "satisfaction_rate": 0.8, "closure_rate": 0.7, "on_time_rate": 0.6, "score": 81.5}


def row(scope: str, name: str, rank: int, change: int | None = None) -> dict:
    return {"scope": scope, "name": name, "rank": rank, "rank_change": change, "filed": 12, "rates": RATES,
            "counts": {"filed": 12}, "by_status": {}, "returned": 0, "reopened": 0, "escalated": 0, "warned": 0, "rated": 4,
            "reporter_names": ["张阿姨"]}  # a field the page must never show


@pytest.fixture
def dashboard(fake: FakeBackends) -> FakeBackends:
    public._cache.clear()

    def rankings(request: httpx.Request) -> httpx.Response:
        by = request.url.params["by"]
        if by == "community":
            return httpx.Response(200, json=[row("community:xinran", "馨然嘉园社区", 1, 2), row("community:xiluyuan", "西潞园社区", 2, -1)])
        if by == "department":
            return httpx.Response(200, json=[row("department:gongchen_enforcement", "拱辰街道综合行政执法队", 1)])
        return httpx.Response(422, json={"detail": "by: unknown dimension"})

    fake.on("dashboard", "GET", "/rankings", rankings)
    fake.on("dashboard", "GET", "/summary", httpx.Response(200, json={**row("all", "全区", 0), "period": {"kind": "month", "start": "2026-11-01", "end": "2026-11-30", "label": "2026年11月"}}))
    fake.on("dashboard", "GET", "/wishes/stats", httpx.Response(200, json={
        "scope": "all", "posted": 5, "fulfilled": 3, "confirmed": 2, "points_credited": 40, "hours_credited": 6.5, "active_volunteers": 4,
        "communities": [{"community_id": "xiluyuan", "posted": 2, "claimed": 2, "fulfilled": 2, "confirmed": 1, "active_volunteers": 1, "points_credited": 30}],
    }))
    yield fake
    public._cache.clear()


def test_anyone_reads_the_months_rates_rankings_wishes_and_points_without_logging_in(portal: TestClient, dashboard: FakeBackends) -> None:
    page = portal.get("/public", params={"month": "2026-11"})
    assert page.status_code == 200, page.text
    html = page.text
    for text in ("政务公开", "2026年11月", "90.0%", "75.0%", "80.0%", "长阳镇", "拱辰街道", "馨然嘉园社区", "西潞园社区", "↑2", "↓1",
                 "拱辰街道综合行政执法队", "已圆梦", "40 分", 'href="/wall/xiluyuan/points"'):
        assert text in html, text
    assert html.index("长阳镇") < html.index("馨然嘉园社区") < html.index("拱辰街道") < html.index("西潞园社区")  # under their street
    assert "张阿姨" not in html  # aggregates only
    [summary] = dashboard.sent("dashboard", "GET", "/summary")
    assert summary.url.params["period"] == "month" and summary.url.params["date"] == "2026-11-01"
    assert summary.headers["authorization"].startswith("Bearer ")  # the portal's own short-lived token, not a visitor's
    portal.get("/public", params={"month": "2026-11"})
    assert len(dashboard.sent("dashboard", "GET", "/summary")) == 1  # cached for a minute


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2999-01", "<script>"])
def test_a_bad_month_is_named_in_chinese_and_nothing_is_asked(portal: TestClient, dashboard: FakeBackends, month: str) -> None:
    refused = portal.get("/public", params={"month": month})
    assert refused.status_code == 422 and "月份" in refused.text and "<script>" not in refused.text
    assert not dashboard.sent("dashboard", "GET", "/summary")


def test_the_dashboard_down_is_a_503_page_in_chinese(portal: TestClient, fake: FakeBackends) -> None:
    public._cache.clear()
    fake.on("dashboard", "GET", "/summary", httpx.Response(503, json={"detail": "down"}))
    page = portal.get("/public", params={"month": "2026-10"})
    assert page.status_code == 503 and "暂时无法获取" in page.text
