"""Dashboard: 催办 and 退单 counts, and who may read which overdue digest (merged duplicates: test_ticket_fold.py)."""
from datetime import datetime, timezone

from libs.events import Actor, DeadlineWarned, TicketReturned
from libs.ticket import TicketStatus as S
from libs.ticket.view import TicketView, apply_event
from services.dashboard.domain import TicketFacts, area_deltas, digest_scopes_for


A = Actor(role="system", id="test")
DUE = datetime(2026, 12, 1, tzinfo=timezone.utc)


def facts():
    return TicketFacts(community_id="xinran", category="road", department_id="urban", filed_at="2026-11-20T09:00:00+00:00")


def test_every_deadline_warning_counts_as_a_reminder():
    v = TicketView(status=S.dispatched)
    warned = DeadlineWarned(ticket_id="T", actor=A, stage="accept", deadline=DUE)
    after = apply_event(v, warned, service="unit")
    assert area_deltas(facts(), v, after, warned) == {"warned": 1}
    assert area_deltas(facts(), after, apply_event(after, warned, service="unit"), warned) == {"warned": 1}
    assert after.status == S.dispatched


def test_a_return_is_counted_per_scope():
    v = TicketView(status=S.dispatched)
    returned = TicketReturned(ticket_id="T", actor=A, department_id="urban", community_id="xinran", reason="x")
    assert area_deltas(facts(), v, apply_event(v, returned, service="unit"), returned) == {"returned": 1}


def test_leadership_reads_every_digest():
    for role in ("leader", "supervisor", "admin"):
        assert digest_scopes_for(role, None, None) is None


def test_staff_read_only_their_own_scopes_digest():
    assert digest_scopes_for("community_staff", "xinran", None) == ["community:xinran"]
    assert digest_scopes_for("department_staff", None, "urban") == ["department:urban"]


def test_a_staff_member_without_a_scope_reads_no_digest():
    assert digest_scopes_for("community_staff", None, None) == []
