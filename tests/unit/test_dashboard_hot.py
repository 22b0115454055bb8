"""Hot issues by the Poisson tail against the trailing 12 weeks; repeated tickets from one 小区; a topic of the month."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from libs.auth import Principal
from libs.statemachine import DomainError, Rejected
from services.dashboard import hot
from tests.unit.dashboard_events import Life, apply, new_session

AS_OF = date(2026, 11, 30)
LEADER = Principal(sub="leader1", role="leader")


@pytest.fixture
def session():
    with new_session() as s:
        yield s


def test_the_poisson_tail():
    assert hot.poisson_tail(0, 2.0) == 1.0
    assert hot.poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832, rel=1e-6)
    assert hot.poisson_tail(8, 0.5) < 1e-6 and hot.poisson_tail(3, 0.0) == 0.0


def test_a_category_far_above_its_twelve_weeks_is_hot_and_a_steady_one_is_not(session):
    for week in range(12):  # heating: 1 a week before the window; garbage: 3 a week, steady
        stamp = f"{date(2026, 9, 1) + timedelta(days=7 * week)} 10:00"  # 1 Sep .. 17 Nov: inside the 84 days before
        apply(session, Life(f"H{week}", category="heating").filed(stamp))
        for k in range(3):
            apply(session, Life(f"G{week}-{k}", category="garbage").filed(stamp))
    for k in range(6):  # the last 7 days: heating jumps to 6, garbage stays at 3
        apply(session, Life(f"HN{k}", category="heating", address="馨然嘉园3号楼").filed(f"2026-11-{24 + k} 10:00"))
    for k in range(3):
        apply(session, Life(f"GN{k}", category="garbage").filed(f"2026-11-{25 + k} 10:00"))
    found = {h.scope: h for h in hot.hot_issues(session, window_days=7, as_of=AS_OF)}
    assert "category:heating" in found and "category:garbage" not in found
    heating = found["category:heating"]
    assert (heating.observed, heating.expected) == (6, round(12 / 84 * 7, 2)) and heating.p_value < hot.P_THRESHOLD
    assert "place:xinran/馨然嘉园" in found  # the same six from one 小区

    places = hot.repeated_places(session, as_of=AS_OF)
    assert [(p.scope, p.tickets, p.categories) for p in places] == [("place:xinran/馨然嘉园", 6, {"heating": 6})]
    assert places[0].name == "馨然嘉园社区 · 馨然嘉园"

    topic = hot.create_topic(session, principal=LEADER, scope="category:heating", window_days=7, as_of=AS_OF)
    assert (topic.month, topic.observed, topic.status, topic.open_now) == ("2026-11", 6, "open", 18)
    with pytest.raises(DomainError, match="已是本月的每月一题"):
        hot.create_topic(session, principal=LEADER, scope="category:heating", window_days=7, as_of=AS_OF)
    with pytest.raises(Rejected, match="^scope:"):
        hot.create_topic(session, principal=LEADER, scope="channel:web", window_days=7, as_of=AS_OF)
    closed = hot.close_topic(session, principal=LEADER, topic_id=topic.id, note="供热管线已修复")
    assert (closed.status, closed.note, closed.closed_by) == ("closed", "供热管线已修复", "leader1")
    with pytest.raises(DomainError, match="已办结"):
        hot.close_topic(session, principal=LEADER, topic_id=topic.id, note="again")
    assert [t.id for t in hot.list_topics(session, month="2026-11")] == [topic.id]
