"""Ops (issue 12): dispatch's /metrics counts the open tickets past a running deadline per street and community
(`whistle_overdue_tickets`, what the WhistleOverdueTickets alert sums per street); a suspended one is not overdue."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from tests.integration.street_scope_helpers import SUP_B, arrived, file


def overdue(dispatch, community: str) -> float:
    text = dispatch.get("/metrics").text
    found = re.search(r'whistle_overdue_tickets\{community="%s",service="dispatch",street="([a-z]+)"\} ([0-9.]+)' % community, text)
    return float(found.group(2)) if found else 0.0


def test_overdue_tickets_are_counted_per_street_and_community(service_clients):
    intake, dispatch = service_clients["intake"], service_clients["dispatch"]
    engine = dispatch.app.state.runtime.engine
    late, paused = file(intake, "tianxingjie"), file(intake, "tianxingjie")
    arrived(dispatch, late, SUP_B)
    arrived(dispatch, paused, SUP_B)
    before = overdue(dispatch, "tianxingjie")
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    try:
        with engine.begin() as conn:  # as if the workflow's deadline had passed (StageDeadlineSet sets next_due)
            conn.execute(sa.text("UPDATE dispatch_ticket SET next_due = :due WHERE id IN (:a, :b)"), {"due": past, "a": late, "b": paused})
            conn.execute(sa.text("UPDATE dispatch_ticket SET suspended = true WHERE id = :b"), {"b": paused})
        assert overdue(dispatch, "tianxingjie") == before + 1
        assert 'street="gongchen"' in dispatch.get("/metrics").text
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE dispatch_ticket SET next_due = NULL, suspended = false WHERE id IN (:a, :b)"), {"a": late, "b": paused})
