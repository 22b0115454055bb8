"""Dispatch's rules for merging duplicates, suspending, deciding extensions and publishing the SLA policy."""
import copy

import pytest

from libs.sla.policy import load_policy
from libs.statemachine import DomainError
from libs.ticket import TicketStatus as S
from services.dispatch.domain import (
    ExtensionDecision as X,
    decide_extension,
    merge,
    next_sla_policy,
    resume,
    suspend,
)


def _merge(current=S.filed, into_status=S.dispatched, into_ticket_id="T2", into_community_id="xinran"):
    return merge(
        current, ticket_id="T1", community_id="xinran", into_ticket_id=into_ticket_id,
        into_community_id=into_community_id, into_status=into_status,
    )


def test_a_new_duplicate_merges_into_an_open_ticket_of_the_same_community():
    assert _merge() == S.merged


def test_a_ticket_cannot_be_merged_into_itself():
    with pytest.raises(DomainError, match="into_ticket_id: a ticket cannot be merged into itself") as exc:
        _merge(into_ticket_id="T1")
    assert exc.value.status_code == 422


def test_a_ticket_cannot_be_merged_into_another_communitys_ticket():
    with pytest.raises(DomainError, match="into_ticket_id: .* belongs to community 'jiamenkou'") as exc:
        _merge(into_community_id="jiamenkou")
    assert exc.value.status_code == 422


@pytest.mark.parametrize("into_status", [S.closed, S.merged])
def test_a_ticket_cannot_be_merged_into_a_closed_or_merged_one(into_status):
    with pytest.raises(DomainError, match=f"is {into_status.value}; merge into an open ticket") as exc:
        _merge(into_status=into_status)
    assert exc.value.status_code == 409


def test_a_ticket_already_in_a_departments_hands_cannot_be_merged():
    with pytest.raises(DomainError, match="ticket is dispatched; it cannot become merged"):
        _merge(current=S.dispatched)


def test_an_open_ticket_can_be_suspended_once():
    suspend(S.accepted, False)
    with pytest.raises(DomainError, match="already suspended"):
        suspend(S.accepted, True)


def test_a_closed_ticket_cannot_be_suspended():
    with pytest.raises(DomainError, match="ticket is closed; only an open ticket can be suspended"):
        suspend(S.closed, False)


def test_only_a_suspended_ticket_resumes():
    resume(True)
    with pytest.raises(DomainError, match="not suspended"):
        resume(False)


def test_a_pending_extension_can_be_granted_while_the_ticket_is_handled():
    assert decide_extension(X.pending, X.granted, S.accepted) == X.granted
    assert decide_extension(X.pending, X.refused, S.resolved) == X.refused


def test_an_extension_is_decided_only_once():
    with pytest.raises(DomainError, match="extension request is already granted") as exc:
        decide_extension(X.granted, X.refused, S.accepted)
    assert exc.value.status_code == 409


def test_an_extension_for_a_resolved_ticket_cannot_be_granted():
    with pytest.raises(DomainError, match="ticket is resolved; an extension can be granted only while"):
        decide_extension(X.pending, X.granted, S.resolved)


def test_the_next_sla_policy_must_be_exactly_one_version_ahead():
    doc = copy.deepcopy(load_policy().document)
    doc["version"] = 2
    assert next_sla_policy(1, doc).version == 2
    with pytest.raises(DomainError, match="version: expected 3 \\(current is 2\\), got 2") as exc:
        next_sla_policy(2, doc)
    assert exc.value.status_code == 409


def test_a_bad_sla_policy_is_a_422_naming_the_key():
    doc = copy.deepcopy(load_policy().document)
    doc["version"] = 2
    doc["urgencies"]["urgent"]["resolve"] = {"amount": -1, "unit": "working_days"}
    with pytest.raises(DomainError, match="urgencies.urgent.resolve.amount") as exc:
        next_sla_policy(1, doc)
    assert exc.value.status_code == 422


def test_an_sla_policy_overriding_a_category_the_directory_does_not_know_is_a_422_naming_it():
    from libs.directory import get_directory

    doc = copy.deepcopy(load_policy().document)
    doc["version"] = 2
    doc["categories"] = {"water_supply": {"resolve": {"amount": 24, "unit": "clock_hours"}},
                         "parking": {"resolve": {"amount": 3, "unit": "working_days"}}}
    with pytest.raises(DomainError, match="categories.parking: unknown category; known: road, ") as exc:
        next_sla_policy(1, doc, get_directory())
    assert exc.value.status_code == 422
    del doc["categories"]["parking"]
    assert set(next_sla_policy(1, doc, get_directory()).categories) == {"water_supply"}


def test_the_shipped_policies_override_only_categories_the_directory_knows():
    from pathlib import Path

    from libs.directory import get_directory

    for name in ("sla_policy.yaml", "sla_policy.test.yaml", "sla_policy.seconds.yaml"):
        doc = copy.deepcopy(load_policy(Path(__file__).resolve().parents[2] / "config" / name).document)
        doc["version"] = 2
        assert next_sla_policy(1, doc, get_directory()).version == 2, name
