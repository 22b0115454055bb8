"""Every dashboard query against every role: leadership sees the district; community staff their community, department
staff their department, and another community's or department's figures are refused (403) or absent; residents and
operators get nothing. The app runs on an in-memory database (no Kafka: its lifespan is not started)."""
from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from libs.auth import Principal, mint_token
from services.dashboard.app import create_app
from tests.unit.dashboard_events import TABLES, Life, apply

LEADER = Principal(sub="leader1", role="leader")
SUPERVISOR = Principal(sub="sup1", role="supervisor", street_id="changyang")
XINRAN = Principal(sub="x1", role="community_staff", community_id="xinran")
SHILIUQIAO = Principal(sub="s1", role="community_staff", community_id="shiliuqiao")
URBAN = Principal(sub="u1", role="department_staff", department_id="urban")
WATER = Principal(sub="w1", role="department_staff", department_id="water")
RESIDENT = Principal(sub="r1", role="resident")
MONTH = {"period": "month", "date": "2026-11-15"}


def auth(p: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(p)}"}


@pytest.fixture(scope="module")
def client():
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in TABLES])
    with Session(engine) as session:
        x, s = Life("X1", "xinran", grid_id="xinran-01"), Life("S1", "shiliuqiao", category="garbage", grid_id="shiliuqiao-01")
        apply(session, x.filed("2026-11-02 09:00"), x.dispatched("2026-11-02 10:00", "urban"), x.escalated("2026-11-02 18:00", "accept"),
              s.filed("2026-11-03 09:00", title="<script>alert(1)</script>"), s.dispatched("2026-11-03 10:00", "water"),
              s.escalated("2026-11-03 18:00", "accept"))
        session.commit()
    app = create_app()
    app.state.runtime.engine = engine
    yield TestClient(app)
    engine.dispose()


def test_leadership_sees_the_district(client):
    for who in (LEADER, SUPERVISOR):
        assert client.get("/summary", params=MONTH, headers=auth(who)).json()["filed"] == 2
        rows = client.get("/rankings", params={**MONTH, "by": "community"}, headers=auth(who)).json()
        assert {r["scope"] for r in rows} == {"community:xinran", "community:shiliuqiao"}
        assert {t["id"] for t in client.get("/escalated", headers=auth(who)).json()} == {"X1", "S1"}
        assert {g["grid_id"] for g in client.get("/map", headers=auth(who)).json()} == {"xinran-01", "shiliuqiao-01"}
        assert client.get("/hot", headers=auth(who)).status_code == 200


@pytest.mark.parametrize(("staff", "own", "other", "ticket", "grid"), [
    (XINRAN, "community:xinran", "community:shiliuqiao", "X1", {"xinran-01"}),
    (SHILIUQIAO, "community:shiliuqiao", "community:xinran", "S1", {"shiliuqiao-01"}),
    (URBAN, "department:urban", "department:water", "X1", {"xinran-01"}),
    (WATER, "department:water", "department:urban", "S1", {"shiliuqiao-01"}),
])
def test_staff_see_their_own_scope_only(client, staff, own, other, ticket, grid):
    h = auth(staff)
    mine = client.get("/summary", params=MONTH, headers=h).json()
    assert (mine["scope"], mine["filed"]) == (own, 1)
    for path in ("/summary", "/trend", "/export/summary", "/export/trend"):
        for scope in (other, "all", "category:road"):
            assert client.get(path, params={**MONTH, "scope": scope}, headers=h).status_code == 403, (path, scope)
    dimension = own.split(":")[0]
    assert [r["scope"] for r in client.get("/rankings", params={**MONTH, "by": dimension}, headers=h).json()] == [own]
    assert client.get("/rankings", params={**MONTH, "by": "category"}, headers=h).json() == []
    assert [t["id"] for t in client.get("/escalated", headers=h).json()] == [ticket]
    assert [t["id"] for t in client.get("/tickets", headers=h).json()] == [ticket]
    assert client.get("/tickets", params={"scope": other}, headers=h).json() == []
    assert {g["grid_id"] for g in client.get("/map", headers=h).json()} == grid
    for path in ("/hot", "/repeated", "/topics", "/export/hot?format=csv", "/admin/score-weights"):
        assert client.get(path, headers=h).status_code == 403, path
    assert client.post("/topics", json={"scope": "category:road"}, headers=h).status_code == 403
    exported = client.get("/export/escalated", params={"format": "csv"}, headers=h)
    assert exported.status_code == 200 and ticket in exported.text and ({"X1", "S1"} - {ticket}).pop() not in exported.text


def test_residents_and_operators_read_no_figures(client):
    for who in (RESIDENT, Principal(sub="op", role="operator")):
        for path in ("/summary", "/rankings", "/trend", "/map", "/tickets", "/escalated", "/overdue", "/definitions", "/export/summary"):
            assert client.get(path, headers=auth(who)).status_code == 403, path
    assert client.get("/summary").status_code == 401


def test_a_bad_period_is_a_422_naming_the_field(client):
    answer = client.get("/summary", params={"period": "month", "date": "2026-02-30"}, headers=auth(LEADER))
    assert answer.status_code == 422 and answer.json()["detail"].startswith("date:")
    answer = client.get("/rankings", params={"period": "custom", "start": "2026-11-01"}, headers=auth(LEADER))
    assert answer.status_code == 422 and answer.json()["detail"].startswith("end:")


def test_the_xlsx_export_opens_and_holds_the_figures(client):
    answer = client.get("/export/rankings", params={**MONTH, "by": "community", "format": "xlsx"}, headers=auth(LEADER))
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("名次", "较上期", "名称", "受理数")
    assert {r[2] for r in rows[1:]} == {"馨然嘉园社区", "石榴桥社区"} and {r[3] for r in rows[1:]} == {1}
    tickets = load_workbook(io.BytesIO(client.get("/export/tickets", params={**MONTH, "format": "xlsx"}, headers=auth(LEADER)).content)).active
    assert "<script>alert(1)</script>" in [row[1] for row in tickets.iter_rows(values_only=True)]  # kept as text, never run


def test_the_csv_export_has_a_bom_and_neutralises_formulas(client):
    answer = client.get("/export/summary", params={**MONTH, "format": "csv"}, headers=auth(LEADER))
    assert answer.content.startswith("\ufeff".encode()) and "全区" in answer.content.decode("utf-8-sig")
    from services.dashboard.export import to_csv
    assert "'=HYPERLINK(1)" in to_csv(("t", ["a"], [["=HYPERLINK(1)"], ["-5"]])).decode("utf-8-sig")


def test_admins_publish_score_weights_that_the_score_uses(client):
    bad = client.put("/admin/score-weights", json={"version": 2, "response": 50, "resolution": 50, "satisfaction": 50}, headers=auth(Principal(sub="a", role="admin")))
    assert bad.status_code == 422 and bad.json()["detail"].startswith("response:")
    assert client.put("/admin/score-weights", json={"version": 2, "response": 100, "resolution": 0, "satisfaction": 0}, headers=auth(LEADER)).status_code == 403
    good = client.put("/admin/score-weights", json={"version": 2, "response": 40, "resolution": 30, "satisfaction": 30}, headers=auth(Principal(sub="a", role="admin")))
    assert good.status_code == 200 and good.json()["version"] == 2
    assert client.get("/definitions", headers=auth(XINRAN)).json()["weights"] == {"response": 40, "resolution": 30, "satisfaction": 30}
