"""A ticket that changes place or category (街道分拨, 分类调整) is counted where it now is: everything it had added to
the scope it left moves with it, its status count too, and the street's triage queue is never ranked as a community.
A department keeps what happened while it held the ticket (a 退单 stays with the department that returned it)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import Session, SQLModel, create_engine

from libs.events import Actor, TicketAssignedToCommunity, TicketDispatched, TicketFiled, TicketRecategorized, TicketReturned
from services.dashboard import models
from services.dashboard.access import Visibility
from services.dashboard.periods import parse_period
from services.dashboard.projection import project_event
from services.dashboard.queries import ranking as _ranking
from services.dashboard.queries import summary as _summary
from services.dashboard.summons import DashboardSummonsDepartment

STAFF = Actor(role="community_staff", id="s1")
TRIAGE = "street:changyang"
WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    tables = [models.DashboardTicket.__table__, models.DashboardCounter.__table__, models.DashboardDaily.__table__,
              DashboardSummonsDepartment.__table__]
    SQLModel.metadata.create_all(engine, tables=tables)
    with Session(engine) as s:
        yield s


def summary(session: Session, scope: str):
    return _summary(session, scope, parse_period("year", "2026-06-01"))


def ranking(session: Session, by: str):
    return _ranking(session, by, parse_period("year", "2026-06-01"), Visibility(everything=True))


def apply(session: Session, *events) -> None:
    for event in events:
        project_event(session, event)
        session.flush()


def filed(ticket_id: str, community_id: str = TRIAGE, category: str = "road") -> TicketFiled:
    return TicketFiled(ticket_id=ticket_id, actor=Actor(role="resident", id="r1"), title="路面塌陷", description="人行道塌陷",
                       category=category, community_id=community_id, occurred_at=WHEN)


def dispatched(ticket_id: str, category: str = "road") -> TicketDispatched:
    return TicketDispatched(ticket_id=ticket_id, actor=STAFF, community_id="xinran", department_id="urban", title="路面塌陷",
                            description="人行道塌陷", category=category, urgency="ordinary", occurred_at=WHEN)


def test_a_ticket_placed_by_street_triage_leaves_the_triage_queue_with_everything_it_counted(session):
    apply(session, filed("T1"), filed("T2"))
    assert summary(session, "triage:changyang").filed == 2
    assert {s.scope for s in ranking(session, "community")} == set()  # the triage queue is no community

    apply(session, TicketAssignedToCommunity(ticket_id="T1", actor=STAFF, community_id="xinran", from_community_id=TRIAGE))
    triage, xinran = summary(session, "triage:changyang"), summary(session, "community:xinran")
    assert (triage.filed, sum(triage.by_status.values())) == (1, 1)
    assert (xinran.filed, xinran.by_status) == (1, {"filed": 1})
    assert {s.scope for s in ranking(session, "community")} == {"community:xinran"}
    assert summary(session, "all").filed == 2  # district-wide nothing moved


def test_a_recategorized_ticket_takes_its_filing_and_its_return_to_the_new_category(session):
    apply(
        session,
        filed("T3", community_id="xinran"),
        dispatched("T3"),
        TicketReturned(ticket_id="T3", actor=Actor(role="department_staff", id="d1"), department_id="urban",
                       community_id="xinran", reason="不属于本部门职责"),
        TicketRecategorized(ticket_id="T3", actor=STAFF, community_id="xinran", category="lighting", previous_category="road"),
    )
    road, lighting = summary(session, "category:road"), summary(session, "category:lighting")
    assert (road.filed, road.returned, sum(road.by_status.values())) == (0, 0, 0)
    assert (lighting.filed, lighting.returned, sum(lighting.by_status.values())) == (1, 1, 1)
    assert summary(session, "department:urban").returned == 1  # the return stays with the department that made it
    assert summary(session, "community:xinran").filed == 1
    assert session.get(models.DashboardTicket, "T3").category == "lighting"
