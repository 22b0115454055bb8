"""Notify on real PostgreSQL and Kafka with real channel servers: e-mail read back from a local SMTP server (aiosmtpd),
SMS from the dev sink, WeChat template messages from a local double of WeChat's API; quiet hours on an injected
clock; retries ending in a dead letter that staff of the ticket's scope see and retry; each person's inbox is theirs."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone

import pytest

from libs.events import TicketEscalated, TicketFiled, TicketResolved
from services.notify.domain import BEIJING
from tests.integration.conftest import bearer, eventually
from tests.integration.notify_helpers import SYSTEM, daytime_clock, new_ticket_id, notify_environment, publish_events, sms_texts, start_notify
from tests.notify_doubles import MailSink, WechatTemplateDouble

PHONE = "13912345678"
RESIDENT = bearer("resident", "resident1", community_id="xinran")
OTHER_RESIDENT = bearer("resident", "resident2", community_id="shiliuqiao")
XINRAN = bearer("community_staff", "xinran_staff", community_id="xinran")
SHILIUQIAO = bearer("community_staff", "shiliuqiao_staff", community_id="shiliuqiao")
SUPERVISOR = bearer("supervisor", "supervisor1", street_id="changyang")
ADMIN = bearer("admin", "admin")


@pytest.fixture(scope="module")
def mail():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def wechat():
    with WechatTemplateDouble() as double:
        yield double


@pytest.fixture(scope="module")
def sms_file(tmp_path_factory):
    return tmp_path_factory.mktemp("notify-sms") / "sms.jsonl"


@pytest.fixture(scope="module")
def notify(postgres_url, kafka_bootstrap, mail, wechat, sms_file):
    with notify_environment(postgres_url, kafka_bootstrap, sms_file, **mail.env(), **wechat.env()):
        client = start_notify()
        try:
            yield client
        finally:
            client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def resident_wants_everything(notify):
    answer = notify.put(
        "/me/notify-settings", headers=RESIDENT,
        json={"channels": ["sms", "wechat", "email"], "phone": PHONE, "email": "zhang@example.cn", "wechat_openid": "o-resident1"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["phone_masked"] == "139****5678"


def filed(ticket_id: str, urgency: str = "ordinary", reporter: str = "resident1") -> TicketFiled:
    return TicketFiled(
        ticket_id=ticket_id, actor=SYSTEM, title="楼道灯不亮", description="三单元楼道灯坏了", category="road",
        community_id="xinran", reporter_id=reporter, urgency=urgency,
    )


def messages(notify, ticket_id: str, headers=ADMIN) -> list[dict]:  # noqa: ANN001
    answer = notify.get("/messages", params={"ticket_id": ticket_id}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def inbox(notify, headers) -> dict:  # noqa: ANN001
    answer = notify.get("/inbox", headers=headers, params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_new_ticket_reaches_the_resident_on_every_channel_and_the_community_by_inbox_and_email(notify, resident_wants_everything, mail, wechat, sms_file):
    ticket_id = new_ticket_id()
    publish_events(filed(ticket_id))

    log = eventually(lambda: (found := messages(notify, ticket_id)) and all(m["status"] == "sent" for m in found) and len(found) == 6 and found)
    assert {(m["person_id"], m["channel"]) for m in log} == {
        ("resident1", "inbox"), ("resident1", "sms"), ("resident1", "wechat"), ("resident1", "email"),
        ("xinran_staff", "inbox"), ("xinran_staff", "email"),
    }
    assert PHONE not in json.dumps(log) and {m["address"] for m in log if m["channel"] == "sms"} == {"139****5678"}

    [text] = [t for t in sms_texts(sms_file, PHONE) if ticket_id in t]
    assert text.startswith("【长阳镇居民吹哨】您反映的「楼道灯不亮」已受理")
    [sent] = [m for m in wechat.sent if m["data"]["keyword1"]["value"] == ticket_id]
    assert sent["touser"] == "o-resident1" and sent["template_id"] == "tpl-progress" and sent["data"]["first"]["value"] == "诉求已受理"
    [to_resident] = [m for m in mail.to("zhang@example.cn") if ticket_id in str(m["Subject"])]
    assert "已受理" in to_resident.get_content()
    [to_staff] = [m for m in mail.to("xinran.shuji@changyang.example.cn") if ticket_id in str(m["Subject"])]
    assert str(to_staff["Subject"]).startswith("新诉求待转哨") and "楼道灯不亮" in to_staff.get_content()

    mine = inbox(notify, RESIDENT)
    assert any(i["ticket_id"] == ticket_id and i["title"] == "诉求已受理" for i in mine["items"])
    assert any(i["ticket_id"] == ticket_id for i in inbox(notify, XINRAN)["items"])


def test_a_person_reads_only_their_own_inbox(notify):
    ticket_id = new_ticket_id()
    publish_events(filed(ticket_id))
    item = eventually(lambda: next((i for i in inbox(notify, RESIDENT)["items"] if i["ticket_id"] == ticket_id), None))
    assert not any(i["ticket_id"] == ticket_id for i in inbox(notify, OTHER_RESIDENT)["items"])
    assert not any(i["ticket_id"] == ticket_id for i in inbox(notify, SHILIUQIAO)["items"])

    for stranger in (OTHER_RESIDENT, SHILIUQIAO, XINRAN, ADMIN):
        assert notify.post(f"/inbox/{item['id']}/read", headers=stranger).status_code == 404
    assert notify.get("/inbox/unread", headers={}).status_code == 401

    before = notify.get("/inbox/unread", headers=RESIDENT).json()["unread"]
    read = notify.post(f"/inbox/{item['id']}/read", headers=RESIDENT)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert notify.get("/inbox/unread", headers=RESIDENT).json()["unread"] == before - 1
    assert notify.post("/inbox/read-all", headers=RESIDENT).json() == {"unread": 0}
    assert notify.get("/inbox/unread", headers=RESIDENT).json()["unread"] == 0

    # The message log is staff's, and only of their scope
    assert notify.get("/messages", headers=RESIDENT).status_code == 403
    assert messages(notify, ticket_id, headers=SHILIUQIAO) == []
    assert {m["person_id"] for m in messages(notify, ticket_id, headers=XINRAN)} == {"resident1", "xinran_staff"}


def test_a_resident_whose_account_is_their_number_may_only_give_that_number(notify):
    from libs.pii import get_vault

    owner = bearer("resident", get_vault().resident_id(PHONE))
    assert notify.put("/me/notify-settings", headers=owner, json={"channels": ["sms"], "phone": "13800000000"}).status_code == 422
    answer = notify.put("/me/notify-settings", headers=owner, json={"channels": ["sms"], "phone": PHONE})
    assert answer.status_code == 200 and answer.json()["channels"] == ["sms"]
    refused = notify.put("/me/notify-settings", headers=RESIDENT, json={"channels": ["sms"], "phone": "12345"})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("phone")


def test_quiet_hours_hold_sms_until_seven_unless_the_ticket_is_an_emergency(notify, resident_wants_everything, sms_file):
    deliverer = notify.app.state.deliverer
    now = datetime.now(BEIJING)
    night = datetime.combine(now.date(), time(23, 0), tzinfo=BEIJING)
    night = night if night > now else night + timedelta(days=1)  # the clock never goes behind the queue
    morning = datetime.combine(night.date() + timedelta(days=1), time(7, 1), tzinfo=BEIJING)
    ordinary, emergency = new_ticket_id(), new_ticket_id()
    deliverer.clock = lambda: night.astimezone(timezone.utc)
    try:
        publish_events(filed(ordinary), filed(emergency, urgency="emergency"))

        def sms_of(ticket_id: str) -> dict | None:
            return next((m for m in messages(notify, ticket_id) if m["channel"] == "sms" and m["status"] in ("sent", "deferred")), None)

        held = eventually(lambda: sms_of(ordinary))
        assert held["status"] == "deferred" and held["last_error"] == "免打扰时段，早上发送"
        assert datetime.fromisoformat(held["next_attempt_at"]) == datetime.combine(night.date() + timedelta(days=1), time(7), tzinfo=BEIJING)
        assert eventually(lambda: sms_of(emergency))["status"] == "sent"
        assert any(emergency in t for t in sms_texts(sms_file, PHONE))
        assert not any(ordinary in t for t in sms_texts(sms_file, PHONE))
        inbox_line = next(m for m in messages(notify, ordinary) if m["channel"] == "inbox")
        assert inbox_line["status"] == "sent"  # only SMS keeps quiet at night

        deliverer.clock = lambda: morning.astimezone(timezone.utc)
        deliverer.wake()
        assert eventually(lambda: (m := sms_of(ordinary)) and m["status"] == "sent" and m)
        assert any(ordinary in t for t in sms_texts(sms_file, PHONE))
    finally:
        deliverer.clock = daytime_clock()


def test_a_failing_channel_is_retried_then_dead_lettered_for_staff_of_the_scope_to_retry(notify, mail, wechat):
    ticket_id = new_ticket_id()
    wechat.unfollowed.add("o-gone")
    openid_resident = "wechat:o-gone"
    mail.refuse = True
    try:
        publish_events(
            filed(ticket_id, reporter=openid_resident),
            TicketEscalated(ticket_id=ticket_id, actor=SYSTEM, stage="dispatch", level=1, deadline=datetime.now(timezone.utc), community_id="xinran"),
        )
        dead = eventually(lambda: [m for m in messages(notify, ticket_id) if m["status"] == "dead"] if len(
            [m for m in messages(notify, ticket_id) if m["status"] == "dead"]) == 3 else None)
    finally:
        mail.refuse = False
    by_channel = {(m["person_id"], m["channel"], m["event_type"]): m for m in dead}
    unfollowed = by_channel[(openid_resident, "wechat", "TicketFiled")]
    assert unfollowed["attempts"] == 1 and "43004" in unfollowed["last_error"]  # permanent: not retried
    email = by_channel[("xinran_staff", "email", "TicketEscalated")]
    assert email["attempts"] == 3 and "451" in email["last_error"]

    listed = notify.get("/dead-letters", headers=XINRAN).json()
    assert {m["id"] for m in dead} <= {m["id"] for m in listed}
    assert not any(m["ticket_id"] == ticket_id for m in notify.get("/dead-letters", headers=SHILIUQIAO).json())
    assert notify.get("/dead-letters", headers=RESIDENT).status_code == 403
    assert notify.post(f"/dead-letters/{email['id']}/retry", headers=SHILIUQIAO).status_code == 403
    assert notify.post("/dead-letters/999999/retry", headers=SUPERVISOR).status_code == 404

    retried = notify.post(f"/dead-letters/{email['id']}/retry", headers=SUPERVISOR)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    eventually(lambda: next(m for m in messages(notify, ticket_id) if m["id"] == email["id"])["status"] == "sent")
    assert [m for m in mail.to("xinran.shuji@changyang.example.cn") if ticket_id in str(m["Subject"]) and "督办" in str(m["Subject"])]
    assert notify.post(f"/dead-letters/{email['id']}/retry", headers=SUPERVISOR).status_code == 409


def test_the_roster_answers_every_level_and_a_published_version_changes_who_is_told(notify, mail):
    def lookup(**params) -> list[str]:  # noqa: ANN003
        answer = notify.get("/roster/lookup", headers=SUPERVISOR, params=params)
        assert answer.status_code == 200, answer.text
        return [p["id"] for p in answer.json()]

    assert lookup(level="handlers", community_id="jiamenkou") == ["jiamenkou_staff"]
    assert lookup(level="level1", community_id="xinran") == ["xinran_staff"]
    assert lookup(level="level1", department_id="water") == ["water_staff"]
    assert lookup(level="level2", community_id="xinran") == ["leader1", "supervisor1"]
    assert lookup(level="level3", department_id="urban") == ["district_duchashi"]
    assert notify.get("/roster/lookup", headers=XINRAN, params={"level": "level1"}).status_code == 403

    current = notify.get("/admin/roster", headers=ADMIN).json()
    assert current["source"] == "file" and current["version"] == 1
    document = {**current["document"], "version": 2}
    document["people"] = {**document["people"], "xinran_deputy": {"name": "馨然嘉园社区·钱副书记", "email": "deputy@changyang.example.cn"}}
    document["communities"] = {**document["communities"], "xinran": {"handlers": ["xinran_staff"], "level1": ["xinran_deputy"]}}
    assert notify.put("/admin/roster", headers=SUPERVISOR, json=document).status_code == 403
    bad = notify.put("/admin/roster", headers=ADMIN, json={**document, "communities": {"mars": {}}})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("communities.mars")
    assert notify.put("/admin/roster", headers=ADMIN, json={**document, "version": 5}).status_code == 409
    published = notify.put("/admin/roster", headers=ADMIN, json=document)
    assert published.status_code == 200 and published.json()["source"] == "stored"
    assert lookup(level="level1", community_id="xinran") == ["xinran_deputy"]

    ticket_id = new_ticket_id()
    publish_events(filed(ticket_id), TicketEscalated(
        ticket_id=ticket_id, actor=SYSTEM, stage="dispatch", level=1, deadline=datetime.now(timezone.utc), community_id="xinran",
    ))
    eventually(lambda: [m for m in mail.to("deputy@changyang.example.cn") if ticket_id in str(m["Subject"])])
    escalation = [m for m in messages(notify, ticket_id) if m["event_type"] == "TicketEscalated"]
    assert {(m["person_id"], m["template"]) for m in escalation} >= {("xinran_deputy", "escalated_roster"), ("xinran_staff", "escalated_handler")}


def test_templates_are_data_an_admin_publishes(notify):
    current = notify.get("/admin/templates", headers=ADMIN).json()
    document = {**current["document"], "version": current["version"] + 1}
    document["templates"] = {**document["templates"], "resident_resolved": {"title": "办好了", "text": "「{title}」办好了，请评价。"}}
    bad = {**document, "templates": {**document["templates"], "resident_resolved": {"title": "x", "text": "{phone}"}}}
    refused = notify.put("/admin/templates", headers=ADMIN, json=bad)
    assert refused.status_code == 422 and "unknown placeholder {phone}" in refused.json()["detail"]
    assert notify.put("/admin/templates", headers=ADMIN, json=document).status_code == 200

    ticket_id = new_ticket_id()
    publish_events(filed(ticket_id), TicketResolved(ticket_id=ticket_id, actor=SYSTEM, department_id="urban", note="已修好"))
    item = eventually(lambda: next((i for i in inbox(notify, RESIDENT)["items"] if i["ticket_id"] == ticket_id and i["template"] == "resident_resolved"), None))
    assert item["title"] == "办好了" and item["body"] == "「楼道灯不亮」办好了，请评价。"
