"""What earns points and hours: a confirmed wish (by the rules in force, hours capped), a resident's rating (daily
cap), each once per event; rules are versioned admin data whose errors name their key."""
from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from libs.auth.principal import Principal
from libs.events import Actor, TicketRated, decode_event
from libs.events.wishes import WishConfirmed
from libs.messaging import OutboxMessage
from libs.statemachine import DomainError, Rejected
from services.wishes import commands, ledger, points, rules
from services.wishes.models import ApproveRequest, ConfirmRequest, FulfilRequest
from tests.unit.wish_helpers import STAFF, VOLUNTEER, WISHER, WishDb

ADMIN = Principal(sub="admin", role="admin")


@pytest.fixture
def db(tmp_path) -> WishDb:
    db = WishDb(tmp_path)
    db.enrol(VOLUNTEER)
    return db


def confirmed_event(db: WishDb, hours: float) -> WishConfirmed:
    wish_id = db.file_wish()
    db.run(commands.approve, principal=STAFF, wish_id=wish_id, body=ApproveRequest())
    db.run(commands.claim, principal=VOLUNTEER, wish_id=wish_id)
    db.run(commands.fulfil, principal=VOLUNTEER, wish_id=wish_id, body=FulfilRequest(note="完成", hours=hours))
    db.run(commands.confirm, principal=WISHER, wish_id=wish_id, body=ConfirmRequest())
    row = db.read(lambda s: s.exec(select(OutboxMessage).where(OutboxMessage.event_type == "WishConfirmed")
                                   .order_by(OutboxMessage.id.desc())).first())
    return decode_event(row.payload)


def balances(db: WishDb, owner: str) -> tuple[int, int]:
    return db.read(lambda s: (ledger.balance(s, owner, "points"), ledger.balance(s, owner, "minutes")))


def rated(by: Actor) -> TicketRated:
    return TicketRated(ticket_id=f"T-{uuid.uuid4().hex[:8]}", actor=by, satisfaction="satisfied", solved=True)


def test_a_confirmed_wish_credits_the_claimant_once_even_when_redelivered(db: WishDb) -> None:
    event = confirmed_event(db, hours=3)
    db.run(points.on_wish_confirmed, event=event)
    db.run(points.on_wish_confirmed, event=event)
    assert balances(db, VOLUNTEER.sub) == (10 + 5 * 3, 180)
    assert db.events("PointsCredited") == ["PointsCredited"]
    mine = db.read(lambda s: points.my_points(s, principal=VOLUNTEER))
    assert (mine.points, mine.hours, [(l.reason_zh, l.points, l.minutes) for l in mine.lines]) == (25, 3.0, [("圆梦", 25, 180)])


def test_hours_beyond_the_rules_cap_are_not_credited(db: WishDb) -> None:
    db.run(points.on_wish_confirmed, event=confirmed_event(db, hours=12))
    assert balances(db, VOLUNTEER.sub) == (10 + 5 * 8, 8 * 60)


def test_a_residents_rating_earns_points_up_to_the_daily_cap_and_staff_recording_one_earns_nothing(db: WishDb) -> None:
    resident = Actor(role="resident", id=WISHER.sub)
    for _ in range(4):
        db.run(points.on_ticket_rated, event=rated(resident))
    assert balances(db, WISHER.sub) == (2 * 3, 0)
    db.run(points.on_ticket_rated, event=rated(Actor(role="community_staff", id=STAFF.sub)))
    assert balances(db, STAFF.sub) == (0, 0)


def test_the_community_standings_show_surnames_points_and_hours_only(db: WishDb) -> None:
    db.run(points.on_wish_confirmed, event=confirmed_event(db, hours=2))
    board = db.read(lambda s: points.standings(s, community_id="xinran"))
    assert [s.model_dump() for s in board] == [{"name": "王*", "party_member": True, "points": 20, "hours": 2.0, "unit": False}]
    assert db.read(lambda s: points.standings(s, community_id="shiliuqiao")) == []


def test_admins_publish_the_next_rules_version_and_credits_follow_it(db: WishDb) -> None:
    shipped = db.read(rules.current_rules_public)
    assert (shipped.version, shipped.source) == (1, "file")
    document = {**shipped.document, "version": 2}
    document["actions"] = {**document["actions"], "wish_fulfilled": {**document["actions"]["wish_fulfilled"], "points": 30}}
    published = db.run(rules.publish_rules, principal=ADMIN, document=document)
    assert (published.version, published.source) == (2, "stored")
    db.run(points.on_wish_confirmed, event=confirmed_event(db, hours=1))
    assert balances(db, VOLUNTEER.sub) == (30 + 5, 60)
    with pytest.raises(DomainError, match="version: expected 3"):
        db.run(rules.publish_rules, principal=ADMIN, document=document)


@pytest.mark.parametrize(("change", "key"), [
    ({"version": "2"}, "version"),
    ({"actions": {"wish_fulfilled": {}, "rating_given": {}, "lottery": {}}}, "actions.lottery"),
    ({"actions": {"rating_given": {"points": 1}}}, "actions.wish_fulfilled"),
    ({"actions": {"wish_fulfilled": {"points": -1}, "rating_given": {}}}, "actions.wish_fulfilled.points"),
    ({"actions": {"wish_fulfilled": {"max_hours": 30}, "rating_given": {}}}, "actions.wish_fulfilled.max_hours"),
    ({"actions": {"wish_fulfilled": {}, "rating_given": {"daily_cap": 0}}}, "actions.rating_given.daily_cap"),
])
def test_a_bad_rules_document_is_refused_naming_its_key(change: dict, key: str) -> None:
    with pytest.raises(Rejected) as refused:
        rules.PointsRules.parse({"version": 2, **change})
    assert str(refused.value).startswith(f"{key}:")
