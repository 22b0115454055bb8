"""在职党员回社区报到: a volunteer registers with a home community, whose staff (and only they) confirm it."""
from __future__ import annotations

import pytest

from libs.auth.principal import Principal
from libs.statemachine import DomainError, Forbidden, Rejected
from services.wishes import volunteers
from services.wishes.models import VolunteerRequest
from tests.unit.wish_helpers import OTHER_STAFF, STAFF, VOLUNTEER, WISHER, WishDb

BODY = VolunteerRequest(
    community_id="xinran", name="王志强", party_member=True, work_unit="区卫健委", skills=["陪诊", " 理发 ", ""],
    availability="周末全天",
)


def test_a_registration_waits_for_its_community_and_is_confirmed_once(tmp_path) -> None:
    db = WishDb(tmp_path)
    row = db.run(volunteers.register, principal=VOLUNTEER, body=BODY)
    assert (row.status, row.skills, row.party_member, row.work_unit) == ("pending", ["陪诊", "理发"], True, "区卫健委")
    pending = db.read(lambda s: volunteers.of_community(s, principal=STAFF, community_id="xinran", status="pending"))
    assert [v.id for v in pending] == [VOLUNTEER.sub]
    with pytest.raises(Forbidden):
        db.run(volunteers.confirm, principal=OTHER_STAFF, volunteer_id=VOLUNTEER.sub)
    with pytest.raises(Forbidden):
        db.read(lambda s: volunteers.of_community(s, principal=OTHER_STAFF, community_id="xinran", status=None))
    assert db.run(volunteers.confirm, principal=STAFF, volunteer_id=VOLUNTEER.sub).status == "confirmed"
    with pytest.raises(DomainError, match="不能重复确认"):
        db.run(volunteers.confirm, principal=STAFF, volunteer_id=VOLUNTEER.sub)
    assert db.events() == ["VolunteerRegistered", "VolunteerConfirmed"]


def test_changing_skills_keeps_the_confirmation_but_a_new_work_unit_asks_again(tmp_path) -> None:
    db = WishDb(tmp_path)
    db.enrol(VOLUNTEER)
    kept = db.run(volunteers.register, principal=VOLUNTEER, body=BODY.model_copy(update={"work_unit": "区卫健委", "skills": ["读报"]}))
    assert kept.status == "confirmed"
    again = db.run(volunteers.register, principal=VOLUNTEER, body=BODY.model_copy(update={"work_unit": "区教委"}))
    assert again.status == "pending" and again.confirmed_at is None


def test_only_volunteers_register_in_a_known_community_of_their_own(tmp_path) -> None:
    db = WishDb(tmp_path)
    with pytest.raises(Forbidden, match="只有志愿者"):
        db.run(volunteers.register, principal=WISHER, body=BODY)
    with pytest.raises(Rejected, match="^community_id:"):
        db.run(volunteers.register, principal=VOLUNTEER, body=BODY.model_copy(update={"community_id": "atlantis"}))
    elsewhere = Principal(sub="vol-x", role="volunteer", community_id="shiliuqiao")
    with pytest.raises(Forbidden, match="另一个社区"):
        db.run(volunteers.register, principal=elsewhere, body=BODY)
