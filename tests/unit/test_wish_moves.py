"""Every legal and illegal move of a micro-wish (寻梦—揽梦—圆梦), on the wish service's own use cases (SQLite)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from libs.events import Actor
from libs.events.wishes import WishClaimExpired
from libs.statemachine import DomainError, Forbidden, NotFound
from services.wishes import commands, queries
from services.wishes.domain import TRANSITIONS, WishStatus, public_text
from services.wishes.models import ApproveRequest, ConfirmRequest, FulfilRequest, ReasonRequest, Wish, WishClaim, WishNotice
from tests.unit.wish_helpers import OTHER_STAFF, OTHER_VOLUNTEER, STAFF, VOLUNTEER, VOLUNTEER_2, WISHER, WishDb


@pytest.fixture
def db(tmp_path) -> WishDb:
    db = WishDb(tmp_path)
    db.enrol(VOLUNTEER)
    db.enrol(VOLUNTEER_2, name="李敏", party_member=False)
    db.enrol(OTHER_VOLUNTEER, name="陈刚")
    return db


def status(db: WishDb, wish_id: str) -> str:
    return db.read(lambda s: s.get(Wish, wish_id).status)


def on_wall(db: WishDb) -> str:
    wish_id = db.file_wish()
    db.run(commands.approve, principal=STAFF, wish_id=wish_id, body=ApproveRequest(estimated_hours=3))
    return wish_id


def claimed(db: WishDb) -> str:
    wish_id = on_wall(db)
    db.run(commands.claim, principal=VOLUNTEER, wish_id=wish_id)
    return wish_id


def fulfilled(db: WishDb) -> str:
    wish_id = claimed(db)
    db.run(commands.fulfil, principal=VOLUNTEER, wish_id=wish_id, body=FulfilRequest(note="已陪同复查", hours=2.5))
    return wish_id


def refused(db: WishDb, error: type[Exception], message: str, use_case, **kwargs) -> None:  # noqa: ANN001
    """The move is refused with `message` and nothing is stored: the same wish and events as before."""
    wish_id = kwargs["wish_id"]
    before = (db.read(lambda s: s.get(Wish, wish_id).model_dump()), db.events())
    with pytest.raises(error) as caught:
        db.run(use_case, **kwargs)
    assert message in str(caught.value)
    assert (db.read(lambda s: s.get(Wish, wish_id).model_dump()), db.events()) == before


def test_a_wish_ticket_becomes_a_wish_awaiting_review_once_and_other_kinds_do_not(db: WishDb) -> None:
    wish_id = db.file_wish()
    assert status(db, wish_id) == "pending_review"
    problem = db.file_wish(kind="problem")
    assert db.read(lambda s: s.get(Wish, problem)) is None
    assert db.events("WishPosted") == ["WishPosted"]


def test_the_whole_life_approve_claim_fulfil_confirm(db: WishDb) -> None:
    wish_id = fulfilled(db)
    db.run(commands.confirm, principal=WISHER, wish_id=wish_id, body=ConfirmRequest(thanks_note="谢谢小王"))
    wish = db.read(lambda s: s.get(Wish, wish_id))
    assert (wish.status, wish.thanks_note, wish.fulfil_hours) == ("confirmed", "谢谢小王", 2.5)
    claim = db.read(lambda s: s.get(WishClaim, wish.claim_id))
    assert claim.outcome == "confirmed" and claim.ended_at is not None
    assert db.events()[-4:] == ["WishApproved", "WishClaimed", "WishFulfilled", "WishConfirmed"]


def test_decline_tells_the_wisher_the_reason(db: WishDb) -> None:
    wish_id = db.file_wish()
    db.run(commands.decline, principal=STAFF, wish_id=wish_id, body=ReasonRequest(reason="属于物业维修范围"))
    assert status(db, wish_id) == "declined"
    notices = db.read(lambda s: list(s.exec(select(WishNotice).where(WishNotice.account_id == WISHER.sub))))
    assert [n.kind for n in notices] == ["declined"] and "属于物业维修范围" in notices[0].text
    refused(db, DomainError, "心愿未通过审核，不能认领", commands.claim, principal=VOLUNTEER, wish_id=wish_id)
    refused(db, DomainError, "不能再审核", commands.approve, principal=STAFF, wish_id=wish_id, body=ApproveRequest())


def test_review_is_for_the_wishs_own_community(db: WishDb) -> None:
    wish_id = db.file_wish()
    refused(db, Forbidden, "不属于您所在的社区", commands.approve, principal=OTHER_STAFF, wish_id=wish_id, body=ApproveRequest())
    refused(db, Forbidden, "只有社区工作人员", commands.approve, principal=VOLUNTEER, wish_id=wish_id, body=ApproveRequest())


def test_claim_refusals_name_the_reason(db: WishDb) -> None:
    pending = db.file_wish()
    refused(db, DomainError, "尚未通过审核", commands.claim, principal=VOLUNTEER, wish_id=pending)
    taken = claimed(db)
    refused(db, DomainError, "已被认领", commands.claim, principal=VOLUNTEER_2, wish_id=taken)
    own = db.file_wish(reporter=VOLUNTEER.sub)
    db.run(commands.approve, principal=STAFF, wish_id=own, body=ApproveRequest())
    refused(db, DomainError, "不能认领自己的心愿", commands.claim, principal=VOLUNTEER, wish_id=own)
    refused(db, Forbidden, "只能认领您报到社区的心愿", commands.claim, principal=OTHER_VOLUNTEER, wish_id=on_wall(db))
    refused(db, Forbidden, "只有志愿者", commands.claim, principal=WISHER, wish_id=on_wall(db))


def test_an_unconfirmed_volunteer_cannot_claim(db: WishDb) -> None:
    from libs.auth.principal import Principal
    from services.wishes import volunteers
    from services.wishes.models import VolunteerRequest

    newcomer = Principal(sub="vol-new", role="volunteer", community_id="xinran")
    wish_id = on_wall(db)
    refused(db, Forbidden, "请先到本社区报到", commands.claim, principal=newcomer, wish_id=wish_id)
    db.run(volunteers.register, principal=newcomer, body=VolunteerRequest(community_id="xinran", name="赵新"))
    refused(db, Forbidden, "等待社区确认", commands.claim, principal=newcomer, wish_id=wish_id)


def test_only_the_claimant_fulfils_or_releases(db: WishDb) -> None:
    wish_id = claimed(db)
    body = FulfilRequest(note="已完成", hours=1)
    refused(db, DomainError, "不是您认领的", commands.fulfil, principal=VOLUNTEER_2, wish_id=wish_id, body=body)
    refused(db, DomainError, "不是您认领的", commands.release, principal=VOLUNTEER_2, wish_id=wish_id)
    refused(db, DomainError, "不能登记圆梦", commands.fulfil, principal=VOLUNTEER, wish_id=on_wall(db), body=body)
    db.run(commands.release, principal=VOLUNTEER, wish_id=wish_id)
    wish = db.read(lambda s: s.get(Wish, wish_id))
    assert (wish.status, wish.claimant_id, wish.claim_id) == ("open", None, None)
    db.run(commands.claim, principal=VOLUNTEER_2, wish_id=wish_id)  # someone else may take it up now
    assert status(db, wish_id) == "claimed"


def test_confirm_twice_and_confirm_before_fulfilment_are_refused(db: WishDb) -> None:
    refused(db, DomainError, "还不能确认", commands.confirm, principal=WISHER, wish_id=claimed(db), body=ConfirmRequest())
    wish_id = fulfilled(db)
    db.run(commands.confirm, principal=WISHER, wish_id=wish_id, body=ConfirmRequest())
    refused(db, DomainError, "不能重复确认", commands.confirm, principal=WISHER, wish_id=wish_id, body=ConfirmRequest())
    refused(db, DomainError, "不能再提出异议", commands.dispute, principal=WISHER, wish_id=wish_id, body=ReasonRequest(reason="不对"))


def test_only_the_wisher_or_the_communitys_staff_confirm(db: WishDb) -> None:
    from libs.auth.principal import Principal

    stranger = Principal(sub="m-other", role="resident", community_id="xinran")
    wish_id = fulfilled(db)
    refused(db, Forbidden, "只有心愿人", commands.confirm, principal=stranger, wish_id=wish_id, body=ConfirmRequest())
    refused(db, Forbidden, "不属于您所在的社区", commands.confirm, principal=OTHER_STAFF, wish_id=wish_id, body=ConfirmRequest())
    db.run(commands.confirm, principal=STAFF, wish_id=wish_id, body=ConfirmRequest())  # on the wisher's behalf
    assert status(db, wish_id) == "confirmed"


def test_a_dispute_lets_the_claimant_record_again_or_staff_reopen_it(db: WishDb) -> None:
    wish_id = fulfilled(db)
    db.run(commands.dispute, principal=WISHER, wish_id=wish_id, body=ReasonRequest(reason="只陪了一半"))
    refused(db, DomainError, "不能重复提出", commands.dispute, principal=WISHER, wish_id=wish_id, body=ReasonRequest(reason="再说"))
    refused(db, DomainError, "已提出异议", commands.confirm, principal=WISHER, wish_id=wish_id, body=ConfirmRequest())
    db.run(commands.fulfil, principal=VOLUNTEER, wish_id=wish_id, body=FulfilRequest(note="补上了", hours=1))
    assert status(db, wish_id) == "fulfilled"
    db.run(commands.dispute, principal=WISHER, wish_id=wish_id, body=ReasonRequest(reason="还是不行"))
    refused(db, Forbidden, "不属于您所在的社区", commands.reopen, principal=OTHER_STAFF, wish_id=wish_id)
    db.run(commands.reopen, principal=STAFF, wish_id=wish_id)
    wish = db.read(lambda s: s.get(Wish, wish_id))
    assert (wish.status, wish.claimant_id, wish.fulfil_note) == ("open", None, None)
    refused(db, DomainError, "不能退回心愿墙", commands.reopen, principal=STAFF, wish_id=wish_id)


def test_an_expired_claim_returns_the_wish_to_the_wall_and_tells_the_claimant_but_a_stale_timer_does_nothing(db: WishDb) -> None:
    wish_id = claimed(db)
    claim_id = db.read(lambda s: s.get(Wish, wish_id).claim_id)
    timer = WishClaimExpired(wish_id=wish_id, community_id="xinran", claim_id=claim_id, actor=Actor(role="system", id="workflows"))
    db.run(commands.expire_claim, event=timer)
    assert status(db, wish_id) == "open"
    assert db.read(lambda s: s.get(WishClaim, claim_id).outcome) == "claim_expired"
    told = db.read(lambda s: list(s.exec(select(WishNotice).where(WishNotice.account_id == VOLUNTEER.sub))))
    assert [n.kind for n in told] == ["claim_expired"]
    db.run(commands.claim, principal=VOLUNTEER_2, wish_id=wish_id)
    db.run(commands.expire_claim, event=timer)  # the old claim's timer, delivered again: the new claim stands
    assert status(db, wish_id) == "claimed"


def test_the_wall_shows_approved_wishes_without_the_wisher_or_their_phone(db: WishDb) -> None:
    hidden = db.file_wish()
    wish_id = on_wall(db)
    wall = db.read(lambda s: queries.wall(s, community_id="xinran", status=None, limit=50, offset=0))
    assert [w.id for w in wall] == [wish_id] and hidden not in [w.id for w in wall]
    shown = wall[0].model_dump_json()
    assert "13800138000" not in shown and "138****8000" in shown and WISHER.sub not in shown
    assert db.read(lambda s: queries.wall(s, community_id="shiliuqiao", status=None, limit=50, offset=0)) == []


def test_a_wish_is_shown_in_full_only_to_its_wisher_claimant_and_community(db: WishDb) -> None:
    from libs.auth.principal import Principal

    wish_id = claimed(db)
    for who in (WISHER, VOLUNTEER, STAFF):
        assert db.read(lambda s: queries.get_wish(s, principal=who, wish_id=wish_id)).id == wish_id
    for who in (OTHER_STAFF, VOLUNTEER_2, Principal(sub="m-x", role="resident", community_id="xinran")):
        with pytest.raises(NotFound):
            db.read(lambda s: queries.get_wish(s, principal=who, wish_id=wish_id))


def test_the_transition_table_has_no_way_out_of_the_end_states() -> None:
    assert TRANSITIONS[WishStatus.confirmed] == frozenset() == TRANSITIONS[WishStatus.declined]
    assert public_text("身份证110101199003071234，电话010-12345678") == "身份证******************，电话010****5678"
