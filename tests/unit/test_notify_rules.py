"""Notify's rules without servers: the shipped roster and templates parse, every level of the roster answers, bad
documents name their key, quiet hours, backoff, and who one event concerns (each person once)."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from libs.directory import get_directory
from libs.events import Actor, DeadlineWarned, TicketClosed, TicketDispatched, TicketEscalated, TicketFiled, TicketResolved
from libs.statemachine import Rejected
from services.notify import documents
from services.notify.audience import TicketFacts, audience, context, fold
from services.notify.commands.planning import reachable
from services.notify.domain import BEIJING, Roster, RosterPerson, Templates, quiet_until, retry_delay
from services.notify.models import NotifyContact

SYSTEM = Actor(role="system", id="workflows")


@pytest.fixture(scope="module")
def roster() -> Roster:
    return Roster.parse(documents._file_document("roster"), get_directory())


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates.parse(documents._file_document("templates"))


def ids(people) -> list[str]:  # noqa: ANN001
    return [p.id for p in people]


def test_the_roster_names_who_is_told_at_every_level(roster):
    assert ids(roster.lookup("handlers", community_id="xinran")) == ["xinran_staff"]
    assert ids(roster.lookup("level1", community_id="xinran")) == ["xinran_staff"]
    assert ids(roster.lookup("level1", community_id="shiliuqiao")) == ["shiliuqiao_staff"]
    assert ids(roster.lookup("level1", community_id="xinran", department_id="urban")) == ["urban_staff"]
    assert ids(roster.lookup("level2", community_id="jiamenkou", department_id="water")) == ["leader1", "supervisor1"]
    assert ids(roster.lookup("level3", community_id="xinran")) == ["district_duchashi"]
    assert ids(roster.lookup("level1", community_id="street:changyang")) == ["supervisor1"]
    assert roster.lookup("level1", community_id="nowhere") == []


def test_every_demo_staff_account_is_on_the_roster(roster):
    import yaml

    from services.portal.users import DEMO_USERS_FILE

    demo = yaml.safe_load(DEMO_USERS_FILE.read_text(encoding="utf-8"))["users"]
    staff = {u["username"] for u in demo if u["role"] in ("community_staff", "department_staff", "supervisor", "leader")}
    assert staff <= set(roster.people)
    for user in demo:
        if user["username"] in roster.people:
            assert roster.people[user["username"]].name == user["name"]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d["communities"].update(mars={"level1": ["xinran_staff"]}), "communities.mars"),
        (lambda d: d["departments"]["urban"].update(level1=["nobody"]), "departments.urban.level1"),
        (lambda d: d["streets"]["changyang"].update(level9=[]), "streets.changyang.level9"),
        (lambda d: d["streets"].update(mars={}), "streets.mars"),
        (lambda d: d["people"]["leader1"].update(email="not-an-address"), "people.leader1.email"),
        (lambda d: d.update(version=0), "version"),
    ],
)
def test_a_bad_roster_is_refused_naming_the_key(change, key):
    document = copy.deepcopy(documents._file_document("roster"))
    change(document)
    with pytest.raises(Rejected, match=f"^{key}"):
        Roster.parse(document, get_directory())


def test_templates_refuse_an_unknown_placeholder_and_a_missing_template():
    document = copy.deepcopy(documents._file_document("templates"))
    document["templates"]["resident_filed"]["text"] = "您的电话 {phone}"
    with pytest.raises(Rejected, match=r"^templates.resident_filed.text: unknown placeholder \{phone\}"):
        Templates.parse(document)
    del document["templates"]["resident_filed"]
    with pytest.raises(Rejected, match="^templates.resident_filed: missing"):
        Templates.parse(document)


def test_a_template_renders_in_chinese_and_a_missing_value_reads_as_a_dash(templates):
    title, text = templates.render("escalated_roster", {"ticket_id": "T1", "title": "井盖", "level": "一", "stage": "转哨"})
    assert title == "督办通知"
    assert text.startswith("督办（一级）：—的工单「井盖」（T1）转哨已于 — 超时")


def test_quiet_hours_hold_sms_from_ten_at_night_to_seven_in_the_morning_beijing_time():
    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 11, 27, hour, minute, tzinfo=BEIJING)

    assert quiet_until(at(21, 59)) is None
    assert quiet_until(at(22, 0)) == datetime(2026, 11, 28, 7, tzinfo=BEIJING)
    assert quiet_until(at(23, 30).astimezone(timezone.utc)) == datetime(2026, 11, 28, 7, tzinfo=BEIJING)
    assert quiet_until(at(3, 0)) == datetime(2026, 11, 27, 7, tzinfo=BEIJING)
    assert quiet_until(at(7, 0)) is None


def test_retries_wait_twice_as_long_each_time_up_to_the_cap():
    assert [retry_delay(n, 30, 3600) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(12, 30, 3600) == 3600


def test_a_new_ticket_tells_the_community_and_the_resident(roster):
    filed = TicketFiled(ticket_id="T1", actor=SYSTEM, title="井盖松动", description="d", category="road", community_id="xinran", reporter_id="resident1")
    facts = fold(None, filed)
    notices = audience(filed, facts, roster)
    assert [(n.person_id, n.template) for n in notices] == [("xinran_staff", "community_new_ticket"), ("resident1", "resident_filed")]


def test_a_new_wish_asks_the_community_to_review_it_and_tells_the_resident_in_wish_words(roster, templates):
    filed = TicketFiled(ticket_id="T2", actor=SYSTEM, kind="wish", title="想学用智能手机", description="d", category="elderly",
                        community_id="xinran", reporter_id="resident1")
    notices = audience(filed, fold(None, filed), roster)
    assert [(n.person_id, n.template) for n in notices] == [("xinran_staff", "community_new_wish"), ("resident1", "resident_wish_filed")]
    title, text = templates.render("resident_wish_filed", {"ticket_id": "T2", "title": "想学用智能手机"})
    assert title == "微心愿已提交" and "心愿墙" in text and "转交承办部门" not in text


def test_a_stored_template_document_older_than_the_wish_templates_takes_their_shipped_text():
    shipped = documents._file_document("templates")
    older = copy.deepcopy(shipped)
    for template_id in ("resident_wish_filed", "community_new_wish"):
        del older["templates"][template_id]
    with pytest.raises(Rejected, match="^templates.resident_wish_filed: missing"):
        Templates.parse(older)  # nothing to fall back on
    parsed = Templates.parse(older, shipped=shipped["templates"])
    assert parsed.templates["community_new_wish"].title == "新微心愿待审核"
    del older["templates"]["resident_filed"]  # only templates added later fall back: an old one missing is refused
    with pytest.raises(Rejected, match="^templates.resident_filed: missing"):
        Templates.parse(older, shipped=shipped["templates"])


def test_a_dispatch_tells_the_department_and_names_it_to_the_resident(roster, templates):
    facts = TicketFacts("T1", "xinran", None, "resident1", "井盖松动")
    dispatched = TicketDispatched(ticket_id="T1", actor=SYSTEM, community_id="xinran", department_id="urban", title="井盖松动", description="d", category="road")
    facts = fold(facts, dispatched)
    assert facts.department_id == "urban"
    notices = {n.person_id: n.template for n in audience(dispatched, facts, roster)}
    assert notices == {"urban_staff": "department_dispatched", "resident1": "resident_dispatched"}
    _, text = templates.render("resident_dispatched", context(dispatched, facts, get_directory()))
    assert "城管委" in text or get_directory().department("urban").name in text


def test_an_escalation_tells_the_level_once_even_when_the_handler_is_also_on_it(roster):
    facts = TicketFacts("T1", "xinran", None, "resident1", "井盖松动")
    deadline = datetime.now(timezone.utc)
    level1 = TicketEscalated(ticket_id="T1", actor=SYSTEM, stage="dispatch", level=1, deadline=deadline, community_id="xinran")
    assert [(n.person_id, n.template) for n in audience(level1, facts, roster)] == [("xinran_staff", "escalated_roster")]
    level2 = TicketEscalated(ticket_id="T1", actor=SYSTEM, stage="accept", level=2, deadline=deadline, community_id="xinran", department_id="urban")
    assert {n.person_id: n.template for n in audience(level2, facts, roster)} == {
        "leader1": "escalated_roster", "supervisor1": "escalated_roster", "urban_staff": "escalated_handler",
    }
    level3 = level2.model_copy(update={"level": 3})
    assert ids(n.roster for n in audience(level3, facts, roster))[:1] == ["district_duchashi"]
    warned = DeadlineWarned(ticket_id="T1", actor=SYSTEM, stage="accept", deadline=deadline, department_id="urban")
    assert [n.person_id for n in audience(warned, facts, roster)] == ["urban_staff"]


def test_a_resolution_asks_the_resident_to_rate_and_a_withdrawal_tells_nobody(roster):
    facts = TicketFacts("T1", "xinran", "urban", "resident1", "井盖松动")
    resolved = TicketResolved(ticket_id="T1", actor=SYSTEM, department_id="urban", note="已更换井盖")
    assert [(n.person_id, n.template) for n in audience(resolved, facts, roster)] == [("resident1", "resident_resolved")]
    assert audience(TicketClosed(ticket_id="T1", actor=SYSTEM, outcome="withdrawn"), facts, roster) == []


def test_channels_follow_addresses_preferences_and_what_the_service_has():
    everything = frozenset({"inbox", "sms", "email", "wechat"})
    person = RosterPerson("leader1", "林镇长", email="z@example.cn")
    assert reachable("leader1", None, person, everything) == [("inbox", None), ("email", "z@example.cn")]
    assert reachable("leader1", None, person, frozenset({"inbox", "sms"})) == [("inbox", None)]
    only_sms = NotifyContact(person_id="leader1", channels=["sms"], phone_token="x", phone_masked="138****0000", updated_at=datetime.now(timezone.utc))
    assert reachable("leader1", only_sms, person, everything) == [("inbox", None), ("sms", "138****0000")]
    assert reachable("wechat:o-abc", None, None, everything) == [("inbox", None), ("wechat", "o-abc")]
