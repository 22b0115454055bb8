"""三张清单's projects: staff of the community publish; confirmed volunteers of that community sign up up to the
capacity (名额已满 / 已报名 / 已结束: 409, nothing stored); staff confirm attendance once, which credits the project's
hours and the rules' points once per signup, within the daily cap; the public lists name nobody."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from libs.auth.principal import Principal
from libs.events import decode_event
from libs.messaging import OutboxMessage
from libs.statemachine import DomainError, Forbidden, NotFound
from services.wishes import ledger, lists, points, projects
from services.wishes.projects import ProjectRequest, ProjectSignup
from tests.unit.wish_helpers import OTHER_STAFF, OTHER_VOLUNTEER, STAFF, VOLUNTEER, VOLUNTEER_2, WishDb

NOW = datetime.now(timezone.utc)
UNREGISTERED = Principal(sub="vol-new", role="volunteer", community_id="xinran")


@pytest.fixture
def db(tmp_path) -> WishDb:
    db = WishDb(tmp_path)
    db.enrol(VOLUNTEER, name="王志强")
    db.enrol(VOLUNTEER_2, name="李娜", party_member=False)
    db.enrol(OTHER_VOLUNTEER, name="陈明")
    return db


def publish(db: WishDb, *, capacity: int = 2, starts: timedelta = timedelta(hours=-1), hours: float = 3, who=STAFF) -> str:
    body = ProjectRequest(title="为老人义剪", place="馨然嘉园党群服务中心", starts_at=NOW + starts, ends_at=NOW + starts + timedelta(days=1),
                          capacity=capacity, hours=hours)
    return db.run(projects.publish, principal=who, community_id="xinran", body=body).id


def attendance_events(db: WishDb) -> list:
    rows = db.read(lambda s: list(s.exec(select(OutboxMessage).where(OutboxMessage.event_type == "ProjectAttendanceConfirmed"))))
    return [decode_event(r.payload) for r in rows]


def signup_of(db: WishDb, project_id: str, who: Principal) -> str:
    return db.read(lambda s: s.exec(select(ProjectSignup).where(
        ProjectSignup.project_id == project_id, ProjectSignup.volunteer_id == who.sub)).one().id)


def test_only_the_communitys_staff_publish_and_a_bad_time_names_its_field(db: WishDb) -> None:
    with pytest.raises(Forbidden):
        publish(db, who=OTHER_STAFF)
    with pytest.raises(ValueError, match="ends_at"):
        ProjectRequest(title="义剪", place="中心", starts_at=NOW, ends_at=NOW, capacity=1, hours=1)
    assert db.events("ProjectPublished") == []
    publish(db)
    assert db.events("ProjectPublished") == ["ProjectPublished"]


def test_sign_up_up_to_the_capacity_once_each_by_the_communitys_confirmed_volunteers(db: WishDb) -> None:
    project = publish(db, capacity=1)
    with pytest.raises(Forbidden, match="报名服务项目"):
        db.run(projects.sign_up, principal=OTHER_VOLUNTEER, project_id=project)  # another community's volunteer
    with pytest.raises(Forbidden, match="报到"):
        db.run(projects.sign_up, principal=UNREGISTERED, project_id=project)
    db.run(projects.sign_up, principal=VOLUNTEER, project_id=project)
    with pytest.raises(DomainError, match="已报名"):
        db.run(projects.sign_up, principal=VOLUNTEER, project_id=project)
    with pytest.raises(DomainError, match="名额已满"):
        db.run(projects.sign_up, principal=VOLUNTEER_2, project_id=project)
    assert db.events("ProjectSignedUp") == ["ProjectSignedUp"]
    view = db.read(lambda s: projects.project_view(s, projects._load(s, project), STAFF))
    assert (view.taken, [x.label for x in view.signups]) == (1, ["党员志愿者 王*"])
    assert db.read(lambda s: projects.project_view(s, projects._load(s, project), VOLUNTEER_2)).signups is None


def test_withdrawing_before_the_start_frees_the_place(db: WishDb) -> None:
    project = publish(db, capacity=1, starts=timedelta(days=2))
    db.run(projects.sign_up, principal=VOLUNTEER, project_id=project)
    db.run(projects.withdraw, principal=VOLUNTEER, project_id=project)
    with pytest.raises(DomainError, match="没有报名"):
        db.run(projects.withdraw, principal=VOLUNTEER, project_id=project)
    db.run(projects.sign_up, principal=VOLUNTEER_2, project_id=project)
    with pytest.raises(DomainError, match="名额已满"):
        db.run(projects.sign_up, principal=VOLUNTEER, project_id=project)


def test_attendance_is_confirmed_once_by_the_communitys_staff_and_credits_once(db: WishDb) -> None:
    project = publish(db, hours=3)
    db.run(projects.sign_up, principal=VOLUNTEER, project_id=project)
    signup = signup_of(db, project, VOLUNTEER)
    with pytest.raises(Forbidden):
        db.run(projects.confirm_attendance, principal=OTHER_STAFF, project_id=project, signup_id=signup)
    with pytest.raises(NotFound):
        db.run(projects.confirm_attendance, principal=STAFF, project_id=project, signup_id="no-such-signup")
    db.run(projects.confirm_attendance, principal=STAFF, project_id=project, signup_id=signup)
    with pytest.raises(DomainError, match="不能重复确认"):
        db.run(projects.confirm_attendance, principal=STAFF, project_id=project, signup_id=signup)
    (event,) = attendance_events(db)
    for _ in range(3):  # redelivered: credited once
        db.run(points.on_attendance_confirmed, event=event)
    assert db.read(lambda s: (ledger.balance(s, VOLUNTEER.sub, "points"), ledger.balance(s, VOLUNTEER.sub, "minutes"))) == (5 + 5 * 3, 180)
    assert [line.reason_zh for line in db.read(lambda s: points.my_points(s, principal=VOLUNTEER)).lines] == ["志愿服务"]


def test_attendance_before_the_start_is_refused(db: WishDb) -> None:
    project = publish(db, starts=timedelta(days=1))
    db.run(projects.sign_up, principal=VOLUNTEER, project_id=project)
    with pytest.raises(DomainError, match="还没开始"):
        db.run(projects.confirm_attendance, principal=STAFF, project_id=project, signup_id=signup_of(db, project, VOLUNTEER))


def test_the_daily_cap_limits_project_credits(db: WishDb) -> None:
    for _ in range(3):
        project = publish(db)
        db.run(projects.sign_up, principal=VOLUNTEER, project_id=project)
        db.run(projects.confirm_attendance, principal=STAFF, project_id=project, signup_id=signup_of(db, project, VOLUNTEER))
    for event in attendance_events(db):
        db.run(points.on_attendance_confirmed, event=event)
    assert db.read(lambda s: ledger.balance(s, VOLUNTEER.sub, "points")) == 2 * 20  # daily_cap 2 in the shipped rules


def test_the_three_lists_are_public_without_names(db: WishDb) -> None:
    publish(db, starts=timedelta(days=3))
    shown = db.read(lambda s: lists.community_lists(s, community_id="xinran"))
    assert [p.title for p in shown.projects] == ["为老人义剪"] and shown.projects[0].signups is None
    assert "王志强" not in shown.model_dump_json() and "vol-wang" not in shown.model_dump_json()
    assert db.read(lambda s: lists.community_lists(s, community_id="shiliuqiao")).projects == []
