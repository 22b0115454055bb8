"""吹哨报到 in the rates: an area's summary counts the summonses made for its tickets in the period, a department's its
times summoned and its on-time check-in rate (on time ÷ checked in or past due without a check-in; one not yet due is
not counted), and the department ranking carries both; another department's staff see only their own row."""
from __future__ import annotations


from fastapi.testclient import TestClient
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from libs.auth import Principal, mint_token
from libs.events import DepartmentsSummoned, SummonsCheckedIn
from services.dashboard import queries
from services.dashboard.access import visibility
from services.dashboard.app import create_app
from services.dashboard.periods import parse_period
from services.dashboard.rates import DEFINITIONS, compute_department_rates
from services.dashboard.summons import on_checked_in, on_summoned, period_counts
from tests.unit.dashboard_events import DEPT, STAFF, TABLES, Life, apply, at

NOVEMBER = parse_period("month", "2026-11-15")
NOW = at("2026-11-20 12:00")


def summoned(summons_id: str, ticket: str, when: str, due: str, lead: str, *co: str, community: str = "xinran",
             joint: bool = False) -> DepartmentsSummoned:
    return DepartmentsSummoned(ticket_id=ticket, actor=STAFF, occurred_at=at(when), summons_id=summons_id, community_id=community,
                               lead_department_id=lead, co_department_ids=co, reason="多部门联合处置", on_site_due=at(due),
                               joint_handling=joint)


def checked_in(summons_id: str, ticket: str, when: str, department: str, late: bool = False) -> SummonsCheckedIn:
    return SummonsCheckedIn(ticket_id=ticket, actor=DEPT, occurred_at=at(when), summons_id=summons_id, department_id=department,
                            late=late)


def build(session: Session) -> None:
    a, b = Life("A1", "xinran"), Life("B1", "shiliuqiao")
    apply(session, a.filed("2026-11-02 09:00"), a.dispatched("2026-11-02 10:00", "urban"),
          b.filed("2026-11-03 09:00"), b.dispatched("2026-11-03 10:00", "water"))
    events = [
        summoned("S1", "A1", "2026-11-04 09:00", "2026-11-04 11:00", "urban", "water", "police"),
        checked_in("S1", "A1", "2026-11-04 10:30", "urban"),  # on time
        checked_in("S1", "A1", "2026-11-04 11:30", "water", late=True),  # late; police never came: missed
        summoned("S2", "B1", "2026-11-05 09:00", "2026-11-05 11:00", "water", community="shiliuqiao", joint=True),
        checked_in("S2", "B1", "2026-11-05 10:00", "water"),
        summoned("S3", "B1", "2026-11-20 11:00", "2026-11-20 13:00", "urban", community="shiliuqiao"),  # not due yet at NOW
        summoned("S0", "A1", "2026-10-20 09:00", "2026-10-20 11:00", "urban"),  # October: another period
        checked_in("S0", "A1", "2026-10-20 12:00", "urban", late=True),
    ]
    for event in events:
        (on_summoned if isinstance(event, DepartmentsSummoned) else on_checked_in)(session, event)
        session.flush()
    on_summoned(session, events[0])  # redelivered: counted once
    session.flush()


def session_with_summonses() -> Session:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in TABLES])
    session = Session(engine)
    build(session)
    return session


def test_period_counts_per_department_and_area() -> None:
    session = session_with_summonses()
    start, end = queries._bounds(NOVEMBER)
    counts = period_counts(session, start, end, now=NOW)
    assert counts["department:urban"] == {"summoned": 2, "summons_checked_in": 1, "summons_on_time": 1}
    assert counts["department:water"] == {"summoned": 2, "summons_checked_in": 2, "summons_on_time": 1}
    assert counts["department:police"] == {"summoned": 1, "summons_missed": 1}
    assert counts["all"] == {"summonses": 3, "summonses_joint": 1}
    assert counts["community:xinran"] == {"summonses": 1, "summonses_joint": 0}


def test_the_on_time_check_in_rate_counts_late_and_missed_and_waits_for_the_due_time() -> None:
    assert compute_department_rates({"summoned": 2, "summons_checked_in": 1, "summons_on_time": 1}).summons_on_time_rate == 1.0
    assert compute_department_rates({"summoned": 2, "summons_checked_in": 2, "summons_on_time": 1}).summons_on_time_rate == 0.5
    assert compute_department_rates({"summoned": 1, "summons_missed": 1}).summons_on_time_rate == 0.0
    assert compute_department_rates({"summoned": 1}).summons_on_time_rate is None  # not due yet: no rate, not 0
    assert compute_department_rates({"summoned": 3}).summonses == 3
    assert "已到报到时限" in DEFINITIONS["summons_on_time_rate"][2]
    rates = compute_department_rates({"received": 4, "accepted": 4, "rated": 2, "solved": 2, "satisfied": 2,
                                      "summoned": 1, "summons_missed": 1})
    assert rates.score == 100.0  # the check-in rate is shown beside the score, never inside it


def test_summary_and_ranking_carry_the_summons_figures() -> None:
    session = session_with_summonses()
    district = queries.summary(session, "all", NOVEMBER)
    assert district.rates.summonses == 3 and district.counts["summonses_joint"] == 1
    water = queries.summary(session, "department:water", NOVEMBER)
    assert water.rates.summonses == 2 and water.rates.summons_on_time_rate == 0.5
    assert queries.summary(session, "department:urban", parse_period("month", "2026-10-15")).rates.summons_on_time_rate == 0.0
    rows = {r.scope: r for r in queries.ranking(session, "department", NOVEMBER, visibility(Principal(sub="l", role="leader")))}
    assert rows["department:police"].rates.summonses == 1 and rows["department:police"].rates.summons_on_time_rate == 0.0
    assert rows["department:urban"].previous is not None and rows["department:urban"].previous.summons_on_time_rate == 0.0
    mine = queries.ranking(session, "department", NOVEMBER, visibility(Principal(sub="w", role="department_staff", department_id="water")))
    assert [r.scope for r in mine] == ["department:water"]
    communities = {r.scope: r.rates.summonses for r in queries.ranking(session, "community", NOVEMBER, visibility(Principal(sub="l", role="leader")))}
    assert communities == {"community:xinran": 1, "community:shiliuqiao": 2}


def test_the_api_scopes_the_summons_figures() -> None:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in TABLES])
    with Session(engine) as session:
        build(session)
        session.commit()
    app = create_app()
    app.state.runtime.engine = engine
    client = TestClient(app)
    month = {"period": "month", "date": "2026-11-15"}

    def get(principal: Principal, path: str, **params: str):  # noqa: ANN202
        return client.get(path, params={**month, **params}, headers={"Authorization": f"Bearer {mint_token(principal)}"})

    water = Principal(sub="w", role="department_staff", department_id="water")
    assert get(water, "/summary").json()["rates"]["summonses"] == 2
    assert get(water, "/summary", scope="department:urban").status_code == 403
    assert [r["scope"] for r in get(water, "/rankings", by="department").json()] == ["department:water"]
    xinran = Principal(sub="x", role="community_staff", community_id="xinran")
    assert get(xinran, "/summary").json()["rates"]["summonses"] == 1
    assert get(xinran, "/summary", scope="community:shiliuqiao").status_code == 403
    assert any(d["key"] == "summons_on_time_rate" for d in get(xinran, "/definitions").json()["rates"])
    engine.dispose()


def test_the_hot_window_is_read_from_the_query_string() -> None:
    """/hot?window=7 (what the portal sends) is a window, not a 422; anything but 7 or 30 is refused naming it."""
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in TABLES])
    app = create_app()
    app.state.runtime.engine = engine
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {mint_token(Principal(sub='l', role='leader'))}"}
    assert client.get("/hot", params={"window": "7"}, headers=headers).status_code == 200
    assert client.get("/hot", params={"window": 30}, headers=headers).status_code == 200
    assert client.get("/export/hot", params={"window": "7", "format": "csv"}, headers=headers).status_code == 200
    refused = client.get("/hot", params={"window": "14"}, headers=headers)
    assert refused.status_code == 422 and "window" in str(refused.json())
    engine.dispose()
