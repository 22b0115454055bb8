"""隐患随手拍 points: the wishes service remembers who reported a hazard and credits them when staff confirm it —
once per ticket whatever is redelivered, within the rules' daily cap, nobody for an unknown reporter; the one fold
marks the ticket confirmed and leaves its handling as it was."""
from __future__ import annotations

import uuid

from libs.events import Actor, HazardVerified, TicketDispatched, TicketFiled
from libs.ticket.status import TicketStatus
from libs.ticket.view import fold
from services.wishes import ledger
from services.wishes.consumers import on_ticket_filed
from services.wishes.hazards import on_hazard_verified
from tests.unit.wish_helpers import WishDb

RESIDENT = Actor(role="resident", id="m-hazard")
STAFF = Actor(role="community_staff", id="s-1")


def filed(kind: str = "hazard", reporter: str | None = "m-hazard") -> TicketFiled:
    return TicketFiled(ticket_id=f"T-{uuid.uuid4().hex[:8]}", actor=RESIDENT, kind=kind, title="井盖缺失", description="3号楼门口",
                       category="road", community_id="xinran", reporter_id=reporter)


def verified(ticket_id: str) -> HazardVerified:
    return HazardVerified(ticket_id=ticket_id, actor=STAFF, community_id="xinran", note="属实")


def points(db: WishDb, owner: str = "m-hazard") -> int:
    return db.read(lambda s: ledger.balance(s, owner, "points"))


def test_a_confirmed_hazard_credits_its_reporter_once(tmp_path) -> None:
    db = WishDb(tmp_path)
    report = filed()
    db.run(on_ticket_filed, event=report)
    db.run(on_ticket_filed, event=report)  # redelivered filing: one record
    first = verified(report.ticket_id)
    for event in (first, first, verified(report.ticket_id)):  # redelivered, and a second confirmation event
        db.run(on_hazard_verified, event=event)
    assert points(db) == 5
    assert db.events("PointsCredited") == ["PointsCredited"]
    assert db.events("WishPosted") == []  # a hazard is no wish


def test_the_daily_cap_and_unknown_reporters(tmp_path) -> None:
    db = WishDb(tmp_path)
    for _ in range(4):
        report = filed()
        db.run(on_ticket_filed, event=report)
        db.run(on_hazard_verified, event=verified(report.ticket_id))
    assert points(db) == 3 * 5  # daily_cap 3 in the shipped rules
    nobody = filed(reporter=None)
    db.run(on_ticket_filed, event=nobody)
    db.run(on_hazard_verified, event=verified(nobody.ticket_id))
    db.run(on_hazard_verified, event=verified("T-never-filed-here"))
    assert len(db.events("PointsCredited")) == 3


def test_the_fold_marks_the_hazard_confirmed_and_keeps_its_status() -> None:
    report = filed()
    view = fold(fold(None, report), verified(report.ticket_id))
    assert (view.hazard_verified, view.status) == (True, TicketStatus.filed)
    dispatched = fold(view, TicketDispatched(ticket_id=report.ticket_id, actor=STAFF, community_id="xinran", department_id="urban",
                                             title="t", description="d", category="road"))
    assert (dispatched.hazard_verified, dispatched.status) == (True, TicketStatus.dispatched)
    assert type(view).from_dict(view.to_dict()) == view
