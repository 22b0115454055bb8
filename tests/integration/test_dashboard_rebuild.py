"""Rebuild = incremental, on real Kafka and PostgreSQL: hand-built ticket lives (reopened, merged, returned, unrated,
unreachable, escalated, recategorized, placed by 街道分拨) and a redelivered event go onto the `tickets` topic; the running
dashboard folds them as they come; `services.dashboard.rebuild` then reads the topics from offset zero into a second,
fresh database, and every read-model row is the same."""
from __future__ import annotations

import asyncio
import importlib
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from libs.auth import Principal, mint_token
from libs.events.topics import consumer_group
from libs.events import Actor, TicketAssignedToCommunity, TicketRecategorized
from libs.settings import get_settings
from services.dashboard.rebuild import rebuild
from tests.integration.conftest import eventually, publish_all
from tests.unit.dashboard_events import Life

STAFF = Actor(role="supervisor", id="sup1")
TABLES = ("dashboard_ticket", "dashboard_daily", "dashboard_counter")


def lives() -> list:
    a, b, c, d, e, f = (Life(f"RB-{k}") for k in "abcdef")
    g = Life("RB-g", community="street:changyang")
    return [
        a.filed("2026-10-31 23:50"), a.dispatched("2026-11-01 08:00"), a.accepted("2026-11-01 09:00"), a.resolved("2026-11-02 09:00"),
        a.rated("2026-11-02 10:00", "unsatisfied", solved=False), a.reopened("2026-11-02 10:00"), a.dispatched("2026-11-03 08:00", "water"),
        a.returned("2026-11-03 09:00", "water"), a.dispatched("2026-11-03 10:00"), a.accepted("2026-11-03 11:00"),
        a.resolved("2026-11-04 09:00"), a.rated("2026-11-04 10:00", "satisfied"), a.closed("2026-11-04 10:00"),
        b.filed("2026-11-05 09:00"), c.filed("2026-11-05 09:10"), c.merged("2026-11-05 10:00", "RB-b"), c.closed("2026-11-05 10:00", "merged"),
        b.settled("2026-11-05 11:00"), b.closed("2026-11-12 11:00", "rating_window_expired"),
        d.filed("2026-11-06 09:00"), d.dispatched("2026-11-06 10:00"), d.deadline("2026-11-06 10:00", "accept", "2026-11-06 14:00"),
        d.escalated("2026-11-06 14:00", "accept"), d.accepted("2026-11-06 15:00"), d.resolved("2026-11-07 09:00"),
        d.callback("2026-11-14 09:00"), d.closed("2026-11-17 09:00", "callback_unreachable"),
        e.filed("2026-11-30 23:59"), TicketRecategorized(ticket_id="RB-e", actor=STAFF, community_id="xinran", category="lighting",
                                                         previous_category="road"),
        f.filed("2026-12-01 00:01", address="馨然嘉园5号楼"), f.settled("2026-12-01 08:00"),
        g.filed("2026-11-08 09:00"), TicketAssignedToCommunity(ticket_id="RB-g", actor=STAFF, community_id="jiamenkou",
                                                               from_community_id="street:changyang", grid_id="jiamenkou-01"),
    ]


def _dump(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: sorted(tuple(str(v) for v in row) for row in conn.execute(sa.text(f"select * from {t}"))) for t in TABLES}
    finally:
        engine.dispose()


@pytest.fixture
def dashboard(postgres_url, kafka_bootstrap):
    mp = pytest.MonkeyPatch()
    run = uuid.uuid4().hex[:6]
    base, _, name = postgres_url.rpartition("/")
    mp.setenv("DATABASE_URL", f"{base}/{name}_rb{run}")
    mp.setenv("KAFKA_BOOTSTRAP", kafka_bootstrap)
    mp.setenv("TOPIC_PREFIX", f"rb{run}.")
    get_settings.cache_clear()
    client = TestClient(importlib.import_module("services.dashboard.app").create_app())
    client.__enter__()
    try:
        yield client, get_settings().database_url_for("dashboard"), f"{base}/{name}_rb{run}_rebuilt"
    finally:
        client.__exit__(None, None, None)
        mp.undo()
        get_settings.cache_clear()


def test_a_rebuild_from_offset_zero_equals_the_incremental_read_model(dashboard, kafka_bootstrap):
    client, live_url, rebuilt_url = dashboard
    events = lives()
    asyncio.run(publish_all(kafka_bootstrap, events + [events[3]], "rebuild-test"))  # the resolution redelivered
    engine = sa.create_engine(live_url)
    expected_ids = {str(e.event_id) for e in events}
    with engine.connect() as conn:
        eventually(lambda: {r[0] for r in conn.execute(sa.text("select event_id from inbox where consumer = :group"), {"group": consumer_group("dashboard")})} >= expected_ids)
    engine.dispose()

    counts = asyncio.run(rebuild(rebuilt_url, kafka_bootstrap))
    assert counts["applied"] == len(events) and counts["duplicate"] == 1
    live, rebuilt = _dump(live_url), _dump(rebuilt_url)
    assert len(live["dashboard_ticket"]) == 7 and live["dashboard_daily"]
    assert rebuilt == live

    leader = {"Authorization": f"Bearer {mint_token(Principal(sub='l', role='leader'))}"}
    november = client.get("/summary", params={"period": "month", "date": "2026-11-15"}, headers=leader).json()
    assert (november["filed"], november["counts"]["merged"], november["rates"]["unrated"], november["rates"]["unreachable"]) == (5, 1, 1, 1)
    assert november["period"]["start"] == str(date(2026, 11, 1))
    # A second rebuild in place of the first gives the same again.
    asyncio.run(rebuild(rebuilt_url, kafka_bootstrap))
    assert _dump(rebuilt_url) == live
