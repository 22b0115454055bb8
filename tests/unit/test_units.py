"""共建单位 (companies, schools, departments) register with a community as one claimant: confirmed by the community,
they claim, fulfil and are credited like volunteers; the wall and the lists name them as 共建单位 <name> (an
organisation), never their contact person; another community's unit may not claim."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from libs.auth.principal import Principal
from libs.events import decode_event
from libs.messaging import OutboxMessage
from libs.statemachine import Forbidden, Rejected
from services.wishes import commands, lists, points, projects, queries, volunteers
from services.wishes.models import ApproveRequest, ConfirmRequest, FulfilRequest, VolunteerRequest
from services.wishes.projects import ProjectRequest
from tests.unit.wish_helpers import OTHER_STAFF, STAFF, WISHER, WishDb

SCHOOL = Principal(sub="unit-school", role="volunteer", community_id="xinran")
FAR_COMPANY = Principal(sub="unit-far", role="volunteer", community_id="shiliuqiao")


def register(db: WishDb, who: Principal, name: str, **fields) -> None:
    body = VolunteerRequest(community_id=who.community_id or "", name=name, kind="unit", work_unit="联系人 周老师",
                            skills=["课业辅导"], **{"unit_type": "school", **fields})
    db.run(volunteers.register, principal=who, body=body)


@pytest.fixture
def db(tmp_path) -> WishDb:
    db = WishDb(tmp_path)
    register(db, SCHOOL, "区实验小学", party_member=True)
    db.run(volunteers.confirm, principal=STAFF, volunteer_id=SCHOOL.sub)
    register(db, FAR_COMPANY, "远方科技公司", unit_type="company")
    db.run(volunteers.confirm, principal=OTHER_STAFF, volunteer_id=FAR_COMPANY.sub)
    return db


def test_a_unit_names_its_type_and_is_no_party_member(db: WishDb, tmp_path) -> None:
    with pytest.raises(Rejected, match="unit_type"):
        db.run(volunteers.register, principal=Principal(sub="unit-x", role="volunteer", community_id="xinran"),
               body=VolunteerRequest(community_id="xinran", name="某公司", kind="unit"))
    me = db.read(lambda s: volunteers.me(s, principal=SCHOOL))
    assert (me.kind, me.unit_type, me.party_member, me.public_label()) == ("unit", "school", False, "共建单位 区实验小学")
    assert db.events("VolunteerRegistered") == ["VolunteerRegistered"] * 2


def test_a_confirmed_unit_claims_fulfils_and_is_credited_and_the_wall_names_the_unit(db: WishDb) -> None:
    wish_id = db.file_wish()
    db.run(commands.approve, principal=STAFF, wish_id=wish_id, body=ApproveRequest())
    with pytest.raises(Forbidden):
        db.run(commands.claim, principal=FAR_COMPANY, wish_id=wish_id)
    db.run(commands.claim, principal=SCHOOL, wish_id=wish_id)
    wall = db.read(lambda s: queries.wall(s, community_id="xinran", status=None, limit=10, offset=0))
    assert [w.claimant_label for w in wall] == ["共建单位 区实验小学"] and "周老师" not in str(wall)
    db.run(commands.fulfil, principal=SCHOOL, wish_id=wish_id, body=FulfilRequest(note="学生志愿者上门辅导", hours=2))
    db.run(commands.confirm, principal=WISHER, wish_id=wish_id, body=ConfirmRequest(thanks_note="谢谢同学们"))
    row = db.read(lambda s: s.exec(select(OutboxMessage).where(OutboxMessage.event_type == "WishConfirmed")).one())
    db.run(points.on_wish_confirmed, event=decode_event(row.payload))
    board = db.read(lambda s: points.standings(s, community_id="xinran"))
    assert [(b.name, b.unit, b.points) for b in board] == [("区实验小学", True, 20)]


def test_units_sign_up_for_projects_and_show_in_the_resources_list(db: WishDb) -> None:
    now = datetime.now(timezone.utc)
    project = db.run(projects.publish, principal=STAFF, community_id="xinran", body=ProjectRequest(
        title="社区大扫除", place="小区中心花园", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2),
        capacity=5, hours=2)).id
    db.run(projects.sign_up, principal=SCHOOL, project_id=project)
    with pytest.raises(Forbidden):
        db.run(projects.sign_up, principal=FAR_COMPANY, project_id=project)
    view = db.read(lambda s: projects.project_view(s, projects._load(s, project), STAFF))
    assert [x.label for x in view.signups] == ["共建单位 区实验小学"]
    shown = db.read(lambda s: lists.community_lists(s, community_id="xinran"))
    assert shown.units == ["区实验小学"] and [(r.skill, r.people) for r in shown.resources] == [("课业辅导", 1)]
