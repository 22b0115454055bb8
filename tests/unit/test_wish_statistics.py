"""WishStatistics: the wishes service counts its own events once each and publishes a community's figures for the
Beijing day — posted, approved, claimed, fulfilled, confirmed, days to fulfil, active volunteers — and another
community's figures are its own."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from libs.events import decode_event
from libs.messaging import OutboxMessage
from services.wishes import commands, consumers, projects
from services.wishes.models import ApproveRequest, ConfirmRequest, FulfilRequest, Wish
from services.wishes.projects import ProjectRequest
from services.wishes.stats import beijing_day
from tests.unit.wish_helpers import OTHER_VOLUNTEER, STAFF, VOLUNTEER, VOLUNTEER_2, WISHER, WishDb


def feed(db: WishDb, seen: set[int]) -> None:
    """Deliver the outbox's new events to the wishes service's own handlers, as the consumer would."""
    rows = db.read(lambda s: list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id))))
    for row in rows:
        if row.id in seen:
            continue
        seen.add(row.id)
        event = decode_event(row.payload)
        handler = consumers.HANDLERS.get(type(event))
        if handler is not None:
            db.run(handler, event=event)


def latest(db: WishDb, community: str = "xinran") -> dict:
    rows = db.read(lambda s: list(s.exec(select(OutboxMessage).where(OutboxMessage.event_type == "WishStatistics").order_by(OutboxMessage.id))))
    snaps = [decode_event(r.payload) for r in rows]
    return [s for s in snaps if s.community_id == community][-1].model_dump(exclude={"event_id", "occurred_at", "actor", "type", "version"})


def test_a_days_life_of_wishes_and_a_project_in_the_figures(tmp_path) -> None:
    db, seen = WishDb(tmp_path), set()
    for who in (VOLUNTEER, VOLUNTEER_2, OTHER_VOLUNTEER):
        db.enrol(who)
    first, second = db.file_wish(), db.file_wish()
    db.file_wish(community="shiliuqiao")
    for wish_id in (first, second):
        db.run(commands.approve, principal=STAFF, wish_id=wish_id, body=ApproveRequest())
    db.run(commands.claim, principal=VOLUNTEER, wish_id=first)
    db.run(commands.fulfil, principal=VOLUNTEER, wish_id=first, body=FulfilRequest(note="完成", hours=2))
    db.run(commands.confirm, principal=WISHER, wish_id=first, body=ConfirmRequest())
    project = db.run(projects.publish, principal=STAFF, community_id="xinran", body=ProjectRequest(
        title="义剪", place="中心", starts_at=projects._now() - timedelta(hours=1), ends_at=projects._now() + timedelta(hours=1),
        capacity=3, hours=1)).id
    db.run(projects.sign_up, principal=VOLUNTEER_2, project_id=project)
    signup = db.read(lambda s: s.exec(select(projects.ProjectSignup)).one().id)
    db.run(projects.confirm_attendance, principal=STAFF, project_id=project, signup_id=signup)
    feed(db, seen)
    feed(db, seen)  # nothing new: nothing counted twice

    figures = latest(db)
    posted_at = db.read(lambda s: s.get(Wish, first).posted_at)
    assert figures["day"] == beijing_day(posted_at)
    assert {k: figures[k] for k in ("posted", "approved", "claimed", "fulfilled", "confirmed", "active_volunteers",
                                     "active_volunteers_30d", "open_now", "claimed_now")} == {
        "posted": 2, "approved": 2, "claimed": 1, "fulfilled": 1, "confirmed": 1, "active_volunteers": 2,
        "active_volunteers_30d": 2, "open_now": 1, "claimed_now": 0,
    }
    assert figures["days_to_fulfil_mean"] is not None and 0 <= figures["days_to_fulfil_mean"] < 0.1
    assert latest(db, "shiliuqiao")["posted"] == 1 and latest(db, "shiliuqiao")["active_volunteers"] == 0


def test_a_redelivered_event_counts_once(tmp_path) -> None:
    db = WishDb(tmp_path)
    db.file_wish()
    row = db.read(lambda s: s.exec(select(OutboxMessage).where(OutboxMessage.event_type == "WishPosted")).one())
    event = decode_event(row.payload)
    for _ in range(3):
        db.run(consumers.HANDLERS[type(event)], event=event)
    assert latest(db)["posted"] == 1
