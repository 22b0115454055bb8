"""Dashboard: 催办 counts, merged duplicates, and who may read which overdue digest."""
from services.dashboard.domain import TicketFacts, digest_scopes_for, metric_deltas


def facts(**overrides):
    base = dict(community_id="xinran", category="road", department_id="urban", status="dispatched", responded=False, handled=False, escalation_level=0)
    return TicketFacts(**{**base, **overrides})


def test_every_deadline_warning_counts_as_a_reminder():
    f = facts()
    assert metric_deltas(f, "DeadlineWarned") == {"warned": 1}
    assert metric_deltas(f, "DeadlineWarned") == {"warned": 1}
    assert f.status == "dispatched"


def test_a_merged_duplicate_leaves_the_open_counts_as_merged():
    f = facts(status="filed", department_id=None, escalation_level=1)
    metric_deltas(f, "TicketMerged")
    assert f.status == "merged" and f.escalation_level == 0


def test_a_merged_duplicate_stays_merged_when_its_workflow_closes():
    f = facts(status="merged")
    metric_deltas(f, "TicketClosed")
    assert f.status == "merged"


def test_a_return_is_counted_per_scope():
    assert metric_deltas(facts(), "TicketReturned") == {"returned": 1}


def test_leadership_reads_every_digest():
    for role in ("leader", "supervisor", "admin"):
        assert digest_scopes_for(role, None, None) is None


def test_staff_read_only_their_own_scopes_digest():
    assert digest_scopes_for("community_staff", "xinran", None) == ["community:xinran"]
    assert digest_scopes_for("department_staff", None, "urban") == ["department:urban"]


def test_a_staff_member_without_a_scope_reads_no_digest():
    assert digest_scopes_for("community_staff", None, None) == []
