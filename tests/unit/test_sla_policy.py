"""SLA policy as data: the shipped documents parse, the defaults follow Beijing practice, bad documents name the key."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from libs.sla.policy import PolicyError, SlaPolicy, Span, TicketSla, load_policy

CONFIG = Path(__file__).resolve().parents[2] / "config"
UTILITIES = ("water_supply", "heating")  # the directory's utilities (config/district.yaml)


@pytest.fixture(scope="module")
def shipped_doc() -> dict:
    return yaml.safe_load((CONFIG / "sla_policy.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def policy() -> SlaPolicy:
    return load_policy(CONFIG / "sla_policy.yaml")


# -- the shipped documents ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sla_policy.yaml", "sla_policy.seconds.yaml"])
def test_the_shipped_policies_parse_with_every_urgency_and_stage(name: str) -> None:
    parsed = load_policy(CONFIG / name)

    assert parsed.version >= 1 and 0 < parsed.warning_fraction < 1
    assert set(parsed.urgencies) == {"emergency", "urgent", "ordinary", "complex"}
    for stages in parsed.urgencies.values():
        assert set(stages) == {"dispatch", "accept", "contact", "resolve", "rating"}


def test_the_seconds_policy_runs_on_clock_seconds_only() -> None:
    parsed = load_policy(CONFIG / "sla_policy.seconds.yaml")
    spans = [s for stages in parsed.urgencies.values() for s in stages.values()]
    spans += [parsed.level2_after, parsed.level3_after, parsed.joint_on_site]
    assert {s.unit for s in spans} == {"seconds"}
    assert max(s.amount for s in spans) <= 30  # the rating window leaves a person time to rate; every other stage is shorter


def test_emergencies_resolve_within_two_clock_hours_even_for_utilities(policy: SlaPolicy) -> None:
    assert policy.for_ticket("emergency", "roads").stages["resolve"] == Span(2, "clock_hours")
    for category in UTILITIES:
        assert policy.for_ticket("emergency", category).stages["resolve"] == Span(2, "clock_hours"), category


def test_utilities_categories_resolve_within_24_clock_hours_whatever_the_urgency(policy: SlaPolicy) -> None:
    for urgency in ("urgent", "ordinary", "complex"):
        for category in UTILITIES:
            assert policy.for_ticket(urgency, category).stages["resolve"] == Span(24, "clock_hours"), (urgency, category)


def test_ordinary_tickets_take_seven_working_days_and_complex_ones_fifteen(policy: SlaPolicy) -> None:
    assert policy.for_ticket("ordinary", "roads").stages["resolve"] == Span(7, "working_days")
    assert policy.for_ticket("complex", "roads").stages["resolve"] == Span(15, "working_days")


def test_departments_are_on_site_within_thirty_minutes_for_joint_handling(policy: SlaPolicy) -> None:
    assert policy.joint_on_site == Span(30, "minutes")
    assert policy.for_ticket("ordinary", "roads").joint_on_site == Span(30, "minutes")


def test_an_urgency_with_its_own_ladder_keeps_it_and_the_others_use_the_default(policy: SlaPolicy) -> None:
    emergency, ordinary = policy.for_ticket("emergency", "roads"), policy.for_ticket("ordinary", "roads")
    assert (emergency.level2_after, emergency.level3_after) == (Span(30, "minutes"), Span(1, "clock_hours"))
    assert (ordinary.level2_after, ordinary.level3_after) == (Span(4, "working_hours"), Span(1, "working_days"))


def test_an_unknown_urgency_falls_back_to_ordinary(policy: SlaPolicy) -> None:
    assert policy.for_ticket("whenever", "roads").stages == policy.for_ticket("ordinary", "roads").stages


def test_a_ticket_sla_survives_the_trip_through_its_workflow_input(policy: SlaPolicy) -> None:
    sla = policy.for_ticket("urgent", "heating")
    assert TicketSla.from_dict(sla.to_dict()) == sla
    assert sla.policy_version == policy.version


# -- bad documents -------------------------------------------------------------------------------------------------


def _broken(doc: dict, mutate) -> dict:
    bad = copy.deepcopy(doc)
    mutate(bad)
    return bad


@pytest.mark.parametrize(
    ("mutate", "names"),
    [
        pytest.param(lambda d: d["urgencies"].pop("complex"), "urgencies.complex", id="missing urgency"),
        pytest.param(lambda d: d["urgencies"].update(whenever=d["urgencies"]["ordinary"]), "whenever", id="unknown urgency"),
        pytest.param(lambda d: d["urgencies"]["ordinary"].pop("resolve"), "urgencies.ordinary.resolve", id="missing stage"),
        pytest.param(
            lambda d: d["urgencies"]["ordinary"]["resolve"].update(amount=-7),
            "urgencies.ordinary.resolve.amount",
            id="negative amount",
        ),
        pytest.param(
            lambda d: d["urgencies"]["urgent"]["accept"].update(amount=0), "urgencies.urgent.accept.amount", id="zero amount"
        ),
        pytest.param(
            lambda d: d["urgencies"]["urgent"]["contact"].update(unit="fortnights"),
            "urgencies.urgent.contact.unit",
            id="unknown unit",
        ),
        pytest.param(lambda d: d["categories"]["heating"].update(repair={"amount": 1, "unit": "days"}), "categories.heating", id="unknown stage in a category"),
        pytest.param(lambda d: d["categories"]["heating"]["resolve"].update(unit="weeks"), "categories.heating.resolve.unit", id="bad category unit"),
        pytest.param(lambda d: d["ladder"].pop("level3_after"), "ladder.level3_after", id="missing ladder step"),
        pytest.param(lambda d: d.update(ladder=[4, 1]), "ladder", id="ladder not a mapping"),
        pytest.param(lambda d: d["urgencies"]["emergency"].update(ladder="fast"), "urgencies.emergency.ladder", id="urgency ladder not a mapping"),
        pytest.param(lambda d: d.update(categories=["heating"]), "categories", id="categories not a mapping"),
        pytest.param(lambda d: d.update(joint_on_site={"amount": 30}), "joint_on_site", id="span without unit"),
        pytest.param(lambda d: d.update(warning_fraction=1.5), "warning_fraction", id="warning fraction above one"),
        pytest.param(lambda d: d.update(version="2"), "version", id="version not an integer"),
    ],
)
def test_a_bad_document_gives_a_policy_error_naming_the_key(shipped_doc: dict, mutate, names: str) -> None:
    with pytest.raises(PolicyError) as raised:
        SlaPolicy.parse(_broken(shipped_doc, mutate))
    assert names in str(raised.value)


def test_an_unknown_stage_in_a_category_is_named_in_the_error(shipped_doc: dict) -> None:
    bad = _broken(shipped_doc, lambda d: d["categories"]["heating"].update(repair={"amount": 1, "unit": "days"}))
    with pytest.raises(PolicyError, match=r"categories\.heating: unknown stage 'repair'"):
        SlaPolicy.parse(bad)


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(PolicyError):
        SlaPolicy.parse(["version", 1])
