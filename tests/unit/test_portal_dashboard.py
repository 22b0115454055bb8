"""数据大屏 pages with faked backends: the period's figures with 环比, the rankings with the rank change and drill-down
links, overdue lists opening /staff/tickets/{id}, hot issues and 每月一题, the polled data, exports passed through with
the viewer's token, escaped user text, a refused period named beside the picker, and who may open the page."""
from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from test_portal_pages import NOW, FakeBackends, fake, log_in, portal, settings  # noqa: F401

RATES = {"response_rate": 0.75, "resolution_rate": 0.5, "satisfaction_rate": 0.8, "closure_rate": 0.5, "on_time_rate": 1.0,
         "accept_on_time_rate": None, "overdue_rate": 0.25, "return_rate": 0.0, "reopen_rate": 0.0, "avg_handling_hours": 30.5,
         "score": 67.0, "unrated": 2, "unreachable": 1, "awaiting_rating": 0}
PERIOD = {"kind": "month", "start": "2026-11-01", "end": "2026-11-30", "label": "2026年11月"}
XSS = "<script>alert('x')</script>"


def summary(scope: str = "all", name: str = "全区", **extra) -> dict:
    return {"scope": scope, "name": name, "period": PERIOD, "filed": 4, "counts": {}, "by_status": {"accepted": 1},
            "returned": 0, "reopened": 0, "escalated": 1, "warned": 0, "rated": 2, "unreachable": 1, "rates": RATES,
            "previous": None, "year_ago": None, "change": {"response_rate": 5.0, "filed": 0.5}, "change_yoy": {}, **extra}


def ranking_row(scope: str, name: str, rank: int, rank_change: int | None) -> dict:
    return {**summary(scope, name), "rank": rank, "previous_rank": None, "rank_change": rank_change}


@pytest.fixture
def backed(fake: FakeBackends) -> FakeBackends:  # noqa: F811
    fake.on("dashboard", "GET", "/summary", httpx.Response(200, json=summary()))
    fake.on("dashboard", "GET", "/rankings", lambda r: httpx.Response(200, json=[
        ranking_row(f"{r.url.params['by']}:xinran", "馨然嘉园社区" if r.url.params["by"] == "community" else XSS, 1, 2)]))
    fake.on("dashboard", "GET", "/escalated", httpx.Response(200, json=[]))
    fake.on("dashboard", "GET", "/overdue", httpx.Response(200, json=[{
        "id": "T42", "title": XSS, "community_id": "xinran", "department_id": "urban", "grid_id": None, "category": "road",
        "channel": "web", "kind": "problem", "status": "accepted", "escalation_level": 0, "overdue": True,
        "next_due": NOW, "filed_at": NOW, "updated_at": NOW}]))
    fake.on("dashboard", "GET", "/definitions", httpx.Response(200, json={
        "rates": [{"key": "satisfaction_rate", "name": "满意率", "area": "评价满意或基本满意 ÷ 已评价诉求", "department": ""}],
        "weights": {"response": 30, "resolution": 35, "satisfaction": 35}, "counting": "按受理日统计"}))
    fake.on("dashboard", "GET", "/hot", httpx.Response(200, json=[{"scope": "category:heating", "name": "供暖", "window_days": 30,
                                                                   "observed": 9, "expected": 1.2, "ratio": 7.5, "p_value": 0.0001}]))
    fake.on("dashboard", "GET", "/hot/method", httpx.Response(200, json={"method": "泊松检验：以窗口前 12 周"}))
    fake.on("dashboard", "GET", "/repeated", httpx.Response(200, json=[]))
    fake.on("dashboard", "GET", "/topics", httpx.Response(200, json=[]))
    fake.on("dashboard", "GET", "/digests", httpx.Response(200, json=[]))
    fake.on("dashboard", "GET", "/rankings/history", httpx.Response(200, json=[]))
    return fake


def test_the_page_shows_the_period_rates_changes_rankings_and_drill_downs(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    log_in(portal, "leader1")
    page = portal.get("/dashboard", params={"period": "month", "date": "2026-11-15"}).text
    assert "2026年11月" in page and "75.0%" in page and "80.0%" in page and "↑5.0个百分点" in page and "67.0" in page
    assert "未评价 / 回访未接通" in page and "评价满意或基本满意 ÷ 已评价诉求" in page and "响应率 30" in page
    assert '/dashboard/tickets?scope=community%3Axinran&amp;period=month&amp;date=2026-11-15' in page and "↑2" in page
    assert 'href="/staff/tickets/T42"' in page and "泊松检验" in page and 'value="category:heating"' in page
    assert XSS not in page and "&lt;script&gt;" in page  # user text is escaped
    assert "/static/vendor/echarts/echarts.min.js" in page and 'id="chart-map"' in page
    sent = backed.sent("dashboard", "GET", "/summary")[0]
    assert dict(sent.url.params) == {"period": "month", "date": "2026-11-15"}


def test_a_refused_period_is_named_and_the_month_shown(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("period") == "custom":
            return httpx.Response(422, json={"detail": "end: 结束日期早于开始日期"})
        return httpx.Response(200, json=summary())

    backed.on("dashboard", "GET", "/summary", answer)
    log_in(portal, "leader1")
    page = portal.get("/dashboard", params={"period": "custom", "start": "2026-11-05", "end": "2026-11-01"}).text
    assert "结束日期早于开始日期" in page and "已改为显示本月" in page


def test_the_polled_data_carries_the_figures_and_the_grid_map(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    backed.on("dashboard", "GET", "/trend", httpx.Response(200, json=[{"label": "2026-11-01", "filed": 1, "response_rate": 1.0}]))
    backed.on("dashboard", "GET", "/map", httpx.Response(200, json=[{"grid_id": "xinran-01", "name": "一网格", "open": 3, "by_status": {}}]))
    geo = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"grid_id": "xinran-01"},
                                                      "geometry": {"type": "Polygon", "coordinates": [[[116, 39], [116.1, 39], [116, 39.1], [116, 39]]]}}]}
    backed.on("intake", "GET", "/grids", httpx.Response(200, json=geo))
    log_in(portal, "leader1")
    data = portal.get("/dashboard/data.json", params={"period": "month"}).json()
    assert data["summary"]["rates"]["satisfaction_rate"] == 0.8 and data["grids"][0]["open"] == 3
    assert data["geo"]["features"][0]["properties"]["grid_id"] == "xinran-01" and data["trend"][0]["filed"] == 1


def test_the_drill_down_lists_tickets_that_open_their_detail(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    backed.on("dashboard", "GET", "/tickets", httpx.Response(200, json=[{
        "id": "T7", "title": XSS, "community_id": "xinran", "department_id": None, "grid_id": None, "category": "road",
        "channel": "web", "kind": "problem", "status": "filed", "escalation_level": 2, "overdue": True, "next_due": None,
        "filed_at": NOW, "updated_at": NOW}]))
    log_in(portal, "supervisor1")
    page = portal.get("/dashboard/tickets", params={"scope": "community:xinran", "flag": "overdue"}).text
    assert 'href="/staff/tickets/T7"' in page and "曾超期" in page and "2级" in page and XSS not in page
    assert dict(backed.sent("dashboard", "GET", "/tickets")[0].url.params) == {"scope": "community:xinran", "flag": "overdue", "limit": "500"}


def test_an_export_is_the_dashboards_file_fetched_with_the_viewers_token(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    backed.on("dashboard", "GET", "/export/rankings", httpx.Response(
        200, content=b"PK\x03\x04xlsx", headers={"content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                                  "content-disposition": 'attachment; filename="dashboard-rankings.xlsx"'}))
    log_in(portal, "leader1")
    answer = portal.get("/dashboard/export/rankings", params={"by": "department", "period": "month", "format": "xlsx", "evil": "1"})
    assert answer.status_code == 200 and answer.content == b"PK\x03\x04xlsx" and "attachment" in answer.headers["content-disposition"]
    sent = backed.sent("dashboard", "GET", "/export/rankings")[0]
    assert dict(sent.url.params) == {"by": "department", "period": "month", "format": "xlsx"}
    assert sent.headers["authorization"].startswith("Bearer ")
    assert portal.get("/dashboard/export/passwords").status_code == 422


def test_a_hot_issue_becomes_the_topic_of_the_month(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    backed.on("dashboard", "POST", "/topics", httpx.Response(201, json={}))
    log_in(portal, "leader1")
    answer = portal.post("/dashboard/topics", data={"scope": "category:heating", "window_days": "30"}, follow_redirects=False)
    assert answer.status_code in (302, 303) and answer.headers["location"].endswith("#topics")
    assert json.loads(backed.sent("dashboard", "POST", "/topics")[0].content) == {"scope": "category:heating", "window_days": 30}


@pytest.mark.parametrize("username", ["resident1", "volunteer1"])
def test_residents_do_not_open_the_big_screen(portal: TestClient, fake: FakeBackends, username: str) -> None:  # noqa: F811
    log_in(portal, username)
    for path in ("/dashboard", "/dashboard/data.json", "/dashboard/tickets", "/dashboard/export/summary"):
        assert portal.get(path, follow_redirects=False).status_code in (303, 403), path
    assert not [r for _, r in fake.requests if r.url.path.startswith(("/summary", "/export", "/tickets"))]


@pytest.mark.parametrize(("username", "scope", "name", "by"), [
    ("xinran_staff", "community:xinran", "馨然嘉园社区", "community"),
    ("urban_staff", "department:urban", "城管委", "department"),
])
def test_staff_open_the_big_screen_with_their_own_figures(portal: TestClient, backed: FakeBackends, username: str,  # noqa: F811
                                                          scope: str, name: str, by: str) -> None:
    """The service scopes a staff token to its own community or department: the page asks without a scope, names whose
    figures they are, shows only the ranking that holds the staff's own row and never asks for the district's hot
    issues, topics or ranking history."""
    backed.on("dashboard", "GET", "/summary", httpx.Response(200, json=summary(scope, name)))
    backed.on("dashboard", "GET", "/rankings", httpx.Response(200, json=[ranking_row(scope, name, 3, -1)]))
    log_in(portal, username)
    page = portal.get("/dashboard", params={"period": "month", "date": "2026-11-15"})
    assert page.status_code == 200
    assert f"您看到的是{name}自己的数据" in page.text and "75.0%" in page.text and "↓1" in page.text
    assert f'id="rank-{by}"' in page.text and page.text.count('class="card" id="rank-') == 1
    assert 'id="topics"' not in page.text and 'id="history"' not in page.text and "设为每月一题" not in page.text
    assert "scope" not in backed.sent("dashboard", "GET", "/summary")[0].url.params
    assert [dict(r.url.params)["by"] for r in backed.sent("dashboard", "GET", "/rankings")] == [by]
    for leadership_only in ("/hot", "/repeated", "/topics", "/rankings/history"):
        assert not backed.sent("dashboard", "GET", leadership_only), leadership_only
    nav = page.text[:page.text.index("</nav>")] if "</nav>" in page.text else page.text
    assert 'href="/dashboard"' in nav
    backed.on("dashboard", "GET", "/trend", httpx.Response(200, json=[]))
    backed.on("dashboard", "GET", "/map", httpx.Response(200, json=[]))
    backed.on("intake", "GET", "/grids", httpx.Response(200, json={"type": "FeatureCollection", "features": []}))
    data = portal.get("/dashboard/data.json", params={"period": "month"}).json()
    assert data["summary"]["scope"] == scope and [row["scope"] for row in data[by]] == [scope]


def test_staff_are_refused_another_scope_by_the_service_and_the_page_says_so(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    backed.on("dashboard", "GET", "/tickets", httpx.Response(403, json={"detail": "scope: 'community:shiliuqiao' 超出您的查看范围"}))
    log_in(portal, "xinran_staff")
    page = portal.get("/dashboard/tickets", params={"scope": "community:shiliuqiao"})
    assert page.status_code == 200 and "超出您的查看范围" in page.text


def test_the_rankings_and_rates_show_the_summons_figures_explained(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    def rows(request: httpx.Request) -> httpx.Response:
        by = request.url.params["by"]
        row = ranking_row(f"{by}:x", "某单位", 1, 0)
        row["rates"] = {**RATES, "summonses": 7, "summons_on_time_rate": 0.625 if by == "department" else None}
        return httpx.Response(200, json=[row])

    backed.on("dashboard", "GET", "/rankings", rows)
    backed.on("dashboard", "GET", "/summary", httpx.Response(200, json=summary(rates={**RATES, "summonses": 3})))
    backed.on("dashboard", "GET", "/definitions", httpx.Response(200, json={"rates": [
        {"key": "summons_on_time_rate", "name": "报到准时率", "area": "—", "department": "准时到场报到的次数 ÷ 已到报到时限的被吹哨次数"}],
        "weights": {"response": 30, "resolution": 35, "satisfaction": 35}, "counting": ""}))
    log_in(portal, "leader1")
    page = portal.get("/dashboard", params={"period": "month"}).text
    department = page[page.index('id="rank-department"'):page.index('id="rank-category"')]
    assert "被吹哨" in department and "报到准时率" in department and "62.5%" in department and ">7<" in department
    community = page[page.index('id="rank-community"'):page.index('id="rank-department"')]
    assert "吹哨报到" in community and ">7<" in community and "报到准时率" not in community
    assert "<td>3 次</td>" in page and "已到报到时限的被吹哨次数" in page


WISHES = {"scope": "all", "posted": 12, "approved": 10, "declined": 1, "claimed": 8, "fulfilled": 6, "confirmed": 5, "returned": 2,
          "disputed": 1, "avg_days_to_fulfil": 3.5, "active_volunteers": 4, "volunteers_confirmed": 2, "points_credited": 300,
          "hours_credited": 12.5, "communities": [{"community_id": "xinran", "posted": 7, "claimed": 5, "fulfilled": 4,
                                                   "confirmed": 3, "active_volunteers": 3, "points_credited": 200}]}


def test_the_wish_figures_of_the_period_are_on_the_page(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    backed.on("dashboard", "GET", "/wishes/stats", httpx.Response(200, json=WISHES))
    log_in(portal, "leader1")
    page = portal.get("/dashboard", params={"period": "month", "date": "2026-11-15"}).text
    card = page[page.index('id="wishes"'):]
    assert 'data-wish="posted">12<' in card and 'data-wish="fulfilled">6<' in card and "3.5" in card and "300 / 12.5小时" in card
    assert "馨然嘉园社区" in card and "每人只计一次" in card
    assert dict(backed.sent("dashboard", "GET", "/wishes/stats")[0].url.params) == {"period": "month", "date": "2026-11-15"}


def test_department_staff_are_not_asked_about_wishes(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    log_in(portal, "urban_staff")
    page = portal.get("/dashboard").text
    assert 'id="wishes"' not in page and not backed.sent("dashboard", "GET", "/wishes/stats")


def test_the_overdue_ticker_runs_on_the_page_and_in_the_polled_data(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    for path, reply in (("/trend", []), ("/map", [])):
        backed.on("dashboard", "GET", path, httpx.Response(200, json=reply))
    backed.on("intake", "GET", "/grids", httpx.Response(200, json={"type": "FeatureCollection", "features": []}))
    log_in(portal, "leader1")
    page = portal.get("/dashboard", params={"period": "month"}).text
    ticker = page[page.index('id="overdue-ticker"'):page.index("</div></div>", page.index('id="overdue-ticker"'))]
    assert 'data-count="1"' in ticker and "超期 1 件" in ticker and 'href="/staff/tickets/T42"' in ticker
    assert "馨然嘉园社区" in ticker and XSS not in ticker and "&lt;script&gt;" in ticker
    data = portal.get("/dashboard/data.json", params={"period": "month"}).json()
    assert data["overdue"] == [{"id": "T42", "title": XSS, "community_id": "xinran", "community": "馨然嘉园社区",
                                "department": "城市管理委员会", "due": data["overdue"][0]["due"]}] and data["overdue"][0]["due"]


def test_the_monthly_report_pdf_is_the_dashboards_file_for_the_viewer(portal: TestClient, backed: FakeBackends) -> None:  # noqa: F811
    backed.on("dashboard", "GET", "/report/monthly.pdf", httpx.Response(
        200, content=b"%PDF-1.4 report", headers={"content-type": "application/pdf",
                                                  "content-disposition": 'attachment; filename="report-2026-11.pdf"'}))
    log_in(portal, "xinran_staff")
    page = portal.get("/dashboard").text
    assert 'action="/dashboard/report.pdf"' in page and 'type="month" name="month"' in page
    answer = portal.get("/dashboard/report.pdf", params={"month": "2026-11"})
    assert answer.status_code == 200 and answer.content == b"%PDF-1.4 report" and answer.headers["content-type"] == "application/pdf"
    sent = backed.sent("dashboard", "GET", "/report/monthly.pdf")[0]
    assert dict(sent.url.params) == {"month": "2026-11"} and sent.headers["authorization"].startswith("Bearer ")
    assert portal.get("/dashboard/report.pdf", params={"month": "2026-1"}).status_code == 422
    backed.on("dashboard", "GET", "/report/monthly.pdf", httpx.Response(503, json={"detail": "缺少中文字体"}))
    refused = portal.get("/dashboard/report.pdf", params={"month": "2026-11"})
    assert refused.status_code == 503 and "缺少中文字体" in refused.text
