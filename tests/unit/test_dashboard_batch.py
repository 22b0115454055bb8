"""Batched application (the rebuild, bulk loads) equals applying the events one by one through the inbox: the same
ticket rows, per-day figures, status counts, 吹哨报到 and wish rows, whatever the batch boundaries (a ticket's life split
across batches), and a redelivered event (in the same batch or a later one) is applied once."""
from __future__ import annotations

import random

import pytest
from sqlmodel import Session, SQLModel, create_engine, select

from libs.messaging.inbox import InboxEntry, apply_once
from services.dashboard.batch import apply_batch
from services.dashboard.consumers import HANDLERS
from services.dashboard.models import DashboardCounter, DashboardDaily, DashboardTicket
from services.dashboard.summons import DashboardSummonsDepartment
from services.dashboard.wishes import DashboardWish, DashboardWishVolunteerDay
from tests.unit.dashboard_events import TABLES, Life
from tests.unit.test_dashboard_summons_rates import checked_in, summoned
from tests.unit.test_dashboard_wishes import life as wish_life

ALL = [*TABLES, DashboardWish, DashboardWishVolunteerDay, InboxEntry]


def events() -> list:
    a, b, c, d = Life("A", "xinran", grid_id="xinran-01"), Life("B", "shiliuqiao"), Life("C", "xinran"), Life("D", "street:changyang")
    return [
        a.filed("2026-11-01 09:00"), b.filed("2026-11-01 10:00"), a.dispatched("2026-11-01 11:00", "urban"),
        a.deadline("2026-11-01 11:00", "accept", "2026-11-02 11:00"), a.accepted("2026-11-01 12:00", "urban"),
        b.dispatched("2026-11-01 12:00", "water"), b.returned("2026-11-02 09:00", "water"), b.dispatched("2026-11-02 10:00", "urban"),
        summoned("S1", "A", "2026-11-02 09:00", "2026-11-02 11:00", "urban", "water"), checked_in("S1", "A", "2026-11-02 10:00", "urban"),
        a.resolved("2026-11-03 09:00", "urban"), a.rated("2026-11-03 12:00", "unsatisfied", False), a.reopened("2026-11-03 12:00"),
        a.resolved("2026-11-05 09:00", "urban"), a.rated("2026-11-05 12:00"), a.closed("2026-11-05 12:00"),
        c.filed("2026-11-30 23:30"), c.settled("2026-12-01 00:30"), c.closed("2026-12-04 00:30", "rating_window_expired"),
        b.escalated("2026-11-04 09:00", "accept"), d.filed("2026-11-06 09:00"), *wish_life("W1"),
    ]


def snapshot(session: Session) -> dict:
    def rows(table, *order):  # noqa: ANN001, ANN202
        return [r.model_dump(exclude={"id"}) for r in session.exec(select(table).order_by(*order))]

    return {
        "tickets": rows(DashboardTicket, DashboardTicket.id),
        "daily": [r for r in rows(DashboardDaily, DashboardDaily.scope, DashboardDaily.metric, DashboardDaily.day)],
        "counters": rows(DashboardCounter, DashboardCounter.scope, DashboardCounter.metric),
        "summons": rows(DashboardSummonsDepartment, DashboardSummonsDepartment.summons_id, DashboardSummonsDepartment.department_id),
        "wishes": rows(DashboardWish, DashboardWish.wish_id),
        "volunteers": rows(DashboardWishVolunteerDay, DashboardWishVolunteerDay.volunteer_id, DashboardWishVolunteerDay.day),
    }


def engine():  # noqa: ANN201
    built = create_engine("sqlite://")
    SQLModel.metadata.create_all(built, tables=[t.__table__ for t in ALL])
    return built


@pytest.mark.parametrize("size", [1, 3, 7, 100])
def test_batches_of_any_size_equal_one_by_one(size: int) -> None:
    stream = events()
    one = engine()
    for event in stream:
        apply_once(one, "dashboard", event, HANDLERS[type(event)])
    batched = engine()
    redelivered = stream + random.Random(size).sample(stream, 5)  # redeliveries, some within one batch
    counts = {"applied": 0, "duplicate": 0, "ignored": 0}
    for start in range(0, len(redelivered), size):
        for key, value in apply_batch(batched, "dashboard", redelivered[start:start + size], HANDLERS).items():
            counts[key] += value
    assert counts == {"applied": len(stream), "duplicate": 5, "ignored": 0}
    with Session(one) as a, Session(batched) as b:
        expected, got = snapshot(a), snapshot(b)
        assert expected["daily"] and expected["summons"] and expected["wishes"]
        for key in expected:
            assert got[key] == expected[key], key
