"""微心愿 figures from the wishes service's events: posted, claimed and fulfilled once per wish however often it goes back
to the wall or is disputed, days from posting to the first fulfilment, each active volunteer once per period, points
and hours credited; each on the Beijing day of its event; community staff see their community only, department staff
none."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from libs.auth import Principal, mint_token
from libs.events import Actor
from libs.events.wishes import (
    PointsCredited,
    VolunteerConfirmed,
    WishApproved,
    WishClaimed,
    WishConfirmed,
    WishDeclined,
    WishDisputed,
    WishFulfilled,
    WishPosted,
    WishReturnedToWall,
)
from services.dashboard.app import create_app
from services.dashboard.consumers import HANDLERS
from services.dashboard.periods import parse_period
from services.dashboard.wishes import DashboardWish, DashboardWishVolunteerDay, wish_stats
from tests.unit.dashboard_events import TABLES, at

WISHER, STAFF, SYSTEM = Actor(role="resident", id="r1"), Actor(role="community_staff", id="s1"), Actor(role="system", id="wf")
NOVEMBER = parse_period("month", "2026-11-15")
ALL_TABLES = [*TABLES, DashboardWish, DashboardWishVolunteerDay]


def life(wish: str, community: str = "xinran") -> list:
    base = {"wish_id": wish, "community_id": community}
    return [
        WishPosted(**base, actor=WISHER, occurred_at=at("2026-11-01 09:00"), title="想学用智能手机", category="elderly"),
        WishApproved(**base, actor=STAFF, occurred_at=at("2026-11-01 10:00"), public_title="学用手机", public_summary="教老人用手机"),
        WishClaimed(**base, actor=Actor(role="volunteer", id="v1"), occurred_at=at("2026-11-02 09:00"), claim_id=f"{wish}-c1",
                    claimant_id="v1", expires_at=at("2026-11-05 09:00")),
        WishReturnedToWall(**base, actor=SYSTEM, occurred_at=at("2026-11-05 09:00"), claim_id=f"{wish}-c1", claimant_id="v1",
                           reason="claim_expired"),
        WishClaimed(**base, actor=Actor(role="volunteer", id="v2"), occurred_at=at("2026-11-06 09:00"), claim_id=f"{wish}-c2",
                    claimant_id="v2", expires_at=at("2026-11-09 09:00")),
        WishFulfilled(**base, actor=Actor(role="volunteer", id="v2"), occurred_at=at("2026-11-07 21:00"),
                      claim_id=f"{wish}-c2", claimant_id="v2", note="已教会", hours=2.0),
        WishDisputed(**base, actor=WISHER, occurred_at=at("2026-11-08 09:00"), claim_id=f"{wish}-c2", claimant_id="v2", reason="还不会"),
        WishFulfilled(**base, actor=Actor(role="volunteer", id="v2"), occurred_at=at("2026-11-10 09:00"), claim_id=f"{wish}-c2",
                      claimant_id="v2", note="再教一次", hours=1.0),
        WishConfirmed(**base, actor=WISHER, occurred_at=at("2026-11-11 09:00"), claim_id=f"{wish}-c2", claimant_id="v2", hours=3.0),
        PointsCredited(actor=SYSTEM, occurred_at=at("2026-11-11 09:00"), owner_id="v2", community_id=community, reason="wish_confirmed",
                       source_event_id=f"{wish}-confirmed", points=50, minutes=180, rules_version=1),
    ]


def build(session: Session) -> None:
    events = life("W1") + life("W2", "shiliuqiao") + [
        WishPosted(wish_id="W3", community_id="xinran", actor=WISHER, occurred_at=at("2026-11-30 23:30"), title="轮椅", category="aid"),
        WishDeclined(wish_id="W3", community_id="xinran", actor=STAFF, occurred_at=at("2026-12-01 08:00"), reason="已有救助渠道"),
        VolunteerConfirmed(volunteer_id="v9", community_id="xinran", actor=STAFF, occurred_at=at("2026-11-03 09:00")),
    ]
    for event in events:
        HANDLERS[type(event)](session, event)
        session.flush()
    HANDLERS[WishClaimed](session, events[2])  # a redelivery the inbox missed still counts the wish claimed once
    session.flush()


def new_session() -> Session:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in ALL_TABLES])
    session = Session(engine)
    build(session)
    session.commit()
    return session


def test_each_wish_counts_once_with_its_days_to_fulfil_and_the_volunteers_once() -> None:
    session = new_session()
    xinran = wish_stats(session, NOVEMBER, community_id="xinran")
    assert (xinran.posted, xinran.approved, xinran.claimed, xinran.fulfilled, xinran.confirmed) == (2, 1, 1, 1, 1)
    assert (xinran.returned, xinran.disputed, xinran.declined) == (1, 1, 0)  # W3 was declined on 1 December
    assert xinran.avg_days_to_fulfil == 6.5  # 1 Nov 09:00 -> 7 Nov 21:00, the first fulfilment
    assert xinran.active_volunteers == 2 and xinran.volunteers_confirmed == 1
    assert xinran.points_credited == 50 and xinran.hours_credited == 3.0
    district = wish_stats(session, NOVEMBER)
    assert district.posted == 3 and district.fulfilled == 2 and district.active_volunteers == 2 and district.points_credited == 100
    assert {row.community_id: row.fulfilled for row in district.communities} == {"xinran": 1, "shiliuqiao": 1}
    december = wish_stats(session, parse_period("month", "2026-12-05"))
    assert december.declined == 1 and december.posted == 0 and december.active_volunteers == 0


def test_the_api_scopes_the_wish_figures() -> None:
    session = new_session()
    app = create_app()
    app.state.runtime.engine = session.get_bind()
    client = TestClient(app)

    def get(principal: Principal, **params: str):  # noqa: ANN202
        return client.get("/wishes/stats", params={"period": "month", "date": "2026-11-15", **params},
                          headers={"Authorization": f"Bearer {mint_token(principal)}"})

    leader = get(Principal(sub="l", role="leader")).json()
    assert leader["posted"] == 3 and len(leader["communities"]) == 2
    assert get(Principal(sub="l", role="leader"), community_id="shiliuqiao").json()["posted"] == 1
    xinran = Principal(sub="x", role="community_staff", community_id="xinran")
    mine = get(xinran).json()
    assert mine["scope"] == "community:xinran" and mine["posted"] == 2 and mine["communities"] == []
    refused = get(xinran, community_id="shiliuqiao")
    assert refused.status_code == 403 and "community_id" in refused.json()["detail"]
    assert get(Principal(sub="u", role="department_staff", department_id="urban")).status_code == 403
    assert get(Principal(sub="r", role="resident")).status_code == 403
    assert get(Principal(sub="l", role="leader"), period="fortnight").status_code == 422
