"""SMS inbound over HTTP, signed as the provider signs it: a text files a ticket that the street places in a community and
the number goes back by SMS; a retried push files once and sends once; "1"/"2"/"3" rates the sender's latest ticket
awaiting a rating through feedback, and nobody else's; unsigned or stale pushes are 403 and file nothing."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid

import pytest
from sqlmodel import select

from libs.sms import SmsError, get_sms_gateway
from services.intake.abuse import AbuseSettings, get_limiter
from services.intake.channels.sms import (
    SmsInboundSettings,
    get_feedback_client,
    get_sms_inbound_settings,
    reporter_id_for,
)
from services.intake.models import IntakeTicket
from tests.integration.conftest import bearer, eventually

SECRET = "sms-test-secret"
XINRAN_STAFF = bearer("community_staff", "s-sms", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-sms-2", community_id="shiliuqiao")
STREET = bearer("supervisor", "sup-sms", street_id="changyang")


class RecordingGateway:
    """Stands in for the provider's outbound API; `fail` makes it refuse."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = False
        self.lock = threading.Lock()

    def send(self, phone: str, text: str) -> str:
        if self.fail:
            raise SmsError("provider down")
        with self.lock:
            self.sent.append((phone, text))
            return f"out-{len(self.sent)}"

    def to(self, phone: str) -> list[str]:
        return [text for to, text in self.sent if to == phone]


@pytest.fixture(scope="module")
def sms(service_clients):
    intake = service_clients["intake"]
    gateway = RecordingGateway()
    overrides = {
        get_sms_gateway: lambda: gateway,
        get_feedback_client: lambda: service_clients["feedback"],
    }
    intake.app.dependency_overrides.update(overrides)
    get_sms_inbound_settings.cache_clear()
    mp = pytest.MonkeyPatch()
    mp.setenv("SMS_INBOUND_SECRET", SECRET)
    mp.setattr("services.intake.channels.sms.get_sms_gateway", lambda: gateway)  # the resolution notice's gateway
    yield intake, gateway
    mp.undo()
    get_sms_inbound_settings.cache_clear()
    for dependency in overrides:
        intake.app.dependency_overrides.pop(dependency, None)


def phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


def push(intake, sender: str, text: str, message_id: str | None = None, *, secret: str = SECRET, timestamp: int | None = None):
    body = json.dumps({"sender": sender, "text": text, "message_id": message_id or uuid.uuid4().hex}, ensure_ascii=False).encode()
    ts = str(timestamp or int(time.time()))
    signature = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return intake.post("/channels/sms/inbound", content=body,
                       headers={"Content-Type": "application/json", "X-Sms-Timestamp": ts, "X-Sms-Signature": signature})


def tickets_from(intake, sender: str) -> list[IntakeTicket]:
    reporter = reporter_id_for(sender, SmsInboundSettings(secret=SECRET))
    return intake.app.state.runtime.read(lambda s: list(s.exec(select(IntakeTicket).where(IntakeTicket.filed_by == reporter))))


def in_queue(dispatch, ticket_id: str):
    def probe():
        found = dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN_STAFF)
        return found.json() if found.status_code == 200 else None

    return eventually(probe)


def placed_by_the_street(dispatch, ticket_id: str) -> dict:
    """A text names no place: it waits in the street's triage queue (街道分拨) until a supervisor places it."""
    def in_triage():
        return any(t["id"] == ticket_id for t in dispatch.get("/street-triage", headers=STREET).json())

    eventually(in_triage)
    assigned = dispatch.post(f"/tickets/{ticket_id}/assign-community", json={"community_id": "xinran"}, headers=STREET)
    assert assigned.status_code == 200, assigned.text
    return in_queue(dispatch, ticket_id)


def test_a_text_files_a_ticket_in_the_community_queue_and_the_number_goes_back_by_sms(service_clients, sms):
    intake, gateway = sms
    sender = phone()
    answer = push(intake, sender, "5号楼楼道灯坏了一个星期，晚上很黑")
    assert answer.status_code == 200, answer.text
    ticket_id = answer.json()["ticket_id"]
    assert gateway.to(sender) == [f"【居民吹哨】您反映的问题已受理，工单号：{ticket_id}。办结后将短信通知您评价。"]
    seen = placed_by_the_street(service_clients["dispatch"], ticket_id)
    assert (seen["channel"], seen["community_id"]) == ("sms", "xinran")
    assert seen["category"]  # suggested from the text
    assert seen["reporter_phone_masked"] == f"{sender[:3]}****{sender[-4:]}"
    assert sender not in json.dumps(seen)
    assert service_clients["dispatch"].get(f"/tickets/{ticket_id}", headers=OTHER_STAFF).status_code in (403, 404)


def test_a_retried_push_files_once_and_sends_once_even_in_parallel(sms):
    intake, gateway = sms
    sender, message_id = phone(), uuid.uuid4().hex
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(push(intake, sender, "小区门口垃圾桶满了没人清", message_id)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["ticket_id"] for a in answers}) == 1
    assert len(tickets_from(intake, sender)) == 1
    assert len(gateway.to(sender)) == 1


def test_an_answer_the_gateway_refused_is_sent_on_the_retry_without_filing_again(sms):
    intake, gateway = sms
    sender, message_id = phone(), uuid.uuid4().hex
    gateway.fail = True
    try:
        assert push(intake, sender, "路面有坑，骑车容易摔", message_id).status_code == 502
    finally:
        gateway.fail = False
    assert gateway.to(sender) == []
    retried = push(intake, sender, "路面有坑，骑车容易摔", message_id)
    assert retried.status_code == 200 and retried.json()["reply_sent"]
    assert len(gateway.to(sender)) == 1 and len(tickets_from(intake, sender)) == 1


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp"])
def test_an_unsigned_or_stale_push_is_403_and_files_nothing(sms, forgery):
    intake, gateway = sms
    sender = phone()
    if forgery == "wrong secret":
        refused = push(intake, sender, "这是伪造的短信", secret="guess")
    else:
        refused = push(intake, sender, "这是重放的短信", timestamp=int(time.time()) - 3600)
    assert refused.status_code == 403
    assert tickets_from(intake, sender) == [] and gateway.to(sender) == []
    missing = intake.post("/channels/sms/inbound", json={"sender": sender, "text": "无签名", "message_id": "m-1"})
    assert missing.status_code == 422 and tickets_from(intake, sender) == []


def test_replying_1_rates_the_senders_resolved_ticket_and_only_theirs(service_clients, sms):
    intake, gateway = sms
    feedback, dispatch = service_clients["feedback"], service_clients["dispatch"]
    sender, bystander = phone(), phone()
    ticket_id = push(intake, sender, "3号楼电梯异响，担心安全").json()["ticket_id"]
    placed_by_the_street(dispatch, ticket_id)
    settled = dispatch.post(f"/tickets/{ticket_id}/settle", json={"note": "物业已检修电梯"}, headers=XINRAN_STAFF)
    assert settled.status_code == 200, settled.text
    reporter = bearer("resident", reporter_id_for(sender, SmsInboundSettings(secret=SECRET)))

    def awaiting():
        found = feedback.get(f"/tickets/{ticket_id}", headers=reporter)
        return found.status_code == 200 and found.json()["status"] == "awaiting_rating"

    eventually(awaiting)
    invite = eventually(lambda: [text for text in gateway.to(sender) if "请回复数字评价" in text])
    assert invite == [f"【居民吹哨】您反映的问题（工单号：{ticket_id}）已办结：物业已检修电梯。请回复数字评价：1 满意，2 基本满意，3 不满意。"]
    # another phone's "1" finds nothing of its own to rate
    other = push(intake, bystander, "1")
    assert other.status_code == 200 and other.json()["ticket_id"] is None
    assert "没有待评价" in gateway.to(bystander)[-1]
    assert feedback.get(f"/tickets/{ticket_id}", headers=reporter).json()["status"] == "awaiting_rating"

    message_id = uuid.uuid4().hex
    rated = push(intake, sender, " 1 ", message_id)
    assert rated.status_code == 200, rated.text
    assert rated.json()["ticket_id"] == ticket_id
    assert gateway.to(sender)[-1] == f"【居民吹哨】已收到您对工单{ticket_id}的评价：满意。感谢您的支持！"
    after = feedback.get(f"/tickets/{ticket_id}", headers=reporter).json()
    assert (after["status"], after["closed_outcome"]) == ("closed", "rated")
    sent = len(gateway.to(sender))
    assert push(intake, sender, "1", message_id).json()["ticket_id"] == ticket_id  # the provider's retry
    assert len(gateway.to(sender)) == sent
    assert len(tickets_from(intake, sender)) == 1  # a rating files nothing


def test_a_phone_over_its_filing_limit_is_told_to_wait_and_nothing_is_filed(sms):
    intake, gateway = sms
    limiter = get_limiter()
    limiter.configure(AbuseSettings(rate_per_phone="1/3600", rate_per_ip="off"))
    try:
        sender = phone()
        assert push(intake, sender, "楼下烧烤油烟很大").json()["ticket_id"]
        refused = push(intake, sender, "楼下烧烤油烟还是很大")
    finally:
        limiter.configure(AbuseSettings(rate_per_phone="off", rate_per_ip="off"))
    assert refused.status_code == 200 and refused.json()["ticket_id"] is None
    assert gateway.to(sender)[-1] == "【居民吹哨】您提交过于频繁，请稍后再试。"
    assert len(tickets_from(intake, sender)) == 1


@pytest.mark.parametrize("text", ["谢谢", "好的", "4", "ok"])
def test_a_courtesy_or_a_stray_digit_files_nothing_and_gets_help(sms, text):
    intake, gateway = sms
    sender = phone()
    answer = push(intake, sender, text)
    assert answer.status_code == 200 and answer.json()["ticket_id"] is None
    assert "请用一句话描述" in gateway.to(sender)[-1]
    assert tickets_from(intake, sender) == []
