"""SMS inbound (短信): the provider pushes each text a resident sends to the district's number.

A text files a ticket (channel "sms", idempotent by the provider's message id) and the sender gets the ticket number
back through the `SmsGateway`. When such a ticket is resolved (办结 or 即办) the sender gets a resolution notice
asking for a rating; a reply of "1", "2" or "3" (满意 / 基本满意 / 不满意) rates the sender's latest ticket awaiting
a rating.

Who the sender is: intake never keeps the number in clear. The reporter id is the resident account the number owns
(`m-` + a keyed hash of it, libs/pii `Vault.resident_id`, PII_HASH_KEY), the same for every text from that phone and
the same id the hotline, a guest filing and self-registration use; it is the filing's `reporter_id`, so
feedback (which knows who may rate by reporter_id) sees the SMS sender as that reporter. To rate, this adapter calls
feedback's own rating API on the reporter's behalf with a resident token for exactly that reporter id, valid for a
minute, minted only after the provider's signature checked out; feedback's rules (which ticket, which outcome) stay
feedback's.

The provider signs each push: `X-Sms-Timestamp` (Unix seconds) and `X-Sms-Signature` = hex HMAC-SHA256 of
"<timestamp>.<raw body>" with SMS_INBOUND_SECRET; a wrong or stale signature is 403 and nothing is read. Each message
id is recorded with its answer: a retried push answers the same and sends the SMS only if it was not sent yet."""
from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import SettingsConfigDict
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from libs.auth import Principal, mint_token
from libs.events import Actor, TicketResolved, TicketSettledOnSpot
from libs.pii import get_vault, normalize_phone
from libs.observability import get_logger
from libs.runtime import RuntimeDep
from libs.settings import get_settings
from libs.sms import SmsError, SmsGateway, get_sms_gateway, mask_phone
from libs.statemachine import DomainError, Forbidden
from services.intake import filing
from services.intake.abuse import RateLimited
from services.intake.channels.settings import SignedChannelSettings
from services.intake.channels.state import IntakeChannelMessage
from services.intake.domain import FilingRejected
from services.intake.filing import FileTicket
from services.intake.models import IntakeTicket
from services.intake.privacy import IntakeContact

log = get_logger(__name__)
router = APIRouter(prefix="/channels/sms", tags=["sms"])
DEV_SECRET = "whistle-sms-inbound-dev-secret"
MIN_DESCRIPTION = 5
HELP = "【居民吹哨】请用一句话描述您遇到的问题（至少5个字）；评价已办结的工单请回复1、2或3。"
NOTICE_CHANNELS = ("sms", "hotline")  # whose reporters get the resolution notice by SMS
MOBILE = re.compile(r"1[3-9][0-9]{9}")
RATINGS: dict[str, tuple[str, str]] = {
    "1": ("satisfied", "满意"), "2": ("basically_satisfied", "基本满意"), "3": ("unsatisfied", "不满意"),
}


class SmsInboundSettings(SignedChannelSettings):
    """SMS_INBOUND_SECRET (shared with the provider); the sender's hash is keyed by PII_HASH_KEY (libs/pii)."""

    model_config = SettingsConfigDict(env_prefix="SMS_INBOUND_")
    SHARED_SECRET = (
        "secret", DEV_SECRET, "SMS_INBOUND_SECRET must be set to the secret shared with the SMS provider in production"
    )

    secret: str = DEV_SECRET


@lru_cache
def get_sms_inbound_settings() -> SmsInboundSettings:
    return SmsInboundSettings()


@lru_cache
def get_feedback_client() -> httpx.Client:
    """Feedback's HTTP API (tests override this dependency with the in-process app)."""
    return httpx.Client(base_url=get_settings().feedback_url, timeout=10)


class SmsInbound(BaseModel):
    """One text a resident sent, as the provider pushes it."""

    sender: str = Field(pattern=r"^\+?[0-9]{7,20}$", description="The resident's number")
    text: str = Field(min_length=1, max_length=500)
    message_id: str = Field(min_length=1, max_length=100, description="The provider's id of this message")


class SmsAnswer(BaseModel):
    ticket_id: str | None
    reply: str
    reply_sent: bool


def reporter_id_for(phone: str, settings: SmsInboundSettings | None = None) -> str:
    """The resident account the sender's number owns (libs/pii `resident_id`): the same from every channel, so a
    texter who later signs up with that number sees and rates their tickets; the number cannot be read back from it."""
    return get_vault().resident_id(phone)


def sms_filing(inbound: SmsInbound, reporter_id: str) -> FileTicket:
    """A text names neither category nor place: the category is suggested from it (分类建议) and, with no community
    to go on, the ticket waits in the street's triage queue (街道分拨) for a supervisor to place it."""
    text = inbound.text.strip()
    return FileTicket(
        channel="sms",
        actor=Actor(role="resident", id=reporter_id),
        filed_by=reporter_id,
        idempotency_key=inbound.message_id,
        title=text.splitlines()[0][:30],
        description=text,
        reporter_id=reporter_id,
        contact_phone=inbound.sender,
    )


# --- use cases (one transaction each) ---

def record_text(session: Session, *, inbound: SmsInbound, reporter_id: str) -> IntakeChannelMessage:
    """File the text (or find the message handled before) and record the answer to send."""
    seen = session.get(IntakeChannelMessage, ("sms", inbound.message_id))
    if seen is not None:
        return seen
    now = datetime.now(timezone.utc)
    if len(inbound.text.strip()) < MIN_DESCRIPTION:  # 好的, 谢谢, a stray digit: not a problem to file
        record = IntakeChannelMessage(channel="sms", message_id=inbound.message_id, sender_key=reporter_id, reply=HELP,
                                      received_at=now)
        session.add(record)
        return record
    try:
        with session.begin_nested():  # a refused filing leaves nothing of itself behind
            ticket, _ = filing.file_ticket(session, sms_filing(inbound, reporter_id))
    except RateLimited:
        ticket_id, reply = None, "【居民吹哨】您提交过于频繁，请稍后再试。"
    except DomainError as exc:
        log.warning("sms_filing_refused", message_id=inbound.message_id, error=str(exc))
        ticket_id, reply = None, "【居民吹哨】很抱歉，您的短信未能受理，请拨打12345热线反映。"
    else:
        ticket_id, reply = ticket.id, f"【居民吹哨】您反映的问题已受理，工单号：{ticket.id}。办结后将短信通知您评价。"
    record = IntakeChannelMessage(channel="sms", message_id=inbound.message_id, sender_key=reporter_id,
                                  ticket_id=ticket_id, reply=reply, received_at=now)
    session.add(record)
    return record


def record_rating_target(session: Session, *, inbound: SmsInbound, reporter_id: str, ticket_id: str | None) -> IntakeChannelMessage:
    """Remember which ticket this reply rates before rating it, so a retried push rates that one and no other."""
    seen = session.get(IntakeChannelMessage, ("sms", inbound.message_id))
    if seen is not None:
        return seen
    record = IntakeChannelMessage(
        channel="sms", message_id=inbound.message_id, sender_key=reporter_id, ticket_id=ticket_id,
        reply=None if ticket_id else "【居民吹哨】您目前没有待评价的工单。如需反映问题，请直接发送问题描述。",
        received_at=datetime.now(timezone.utc),
    )
    session.add(record)
    return record


def claim_reply(session: Session, *, message_id: str, claim: str) -> bool:
    """Only one of several concurrent retries sends the answer: the one whose claim lands on an unsent record."""
    claimed = session.execute(
        update(IntakeChannelMessage)
        .where(IntakeChannelMessage.channel == "sms", IntakeChannelMessage.message_id == message_id,
               IntakeChannelMessage.reply_message_id.is_(None))  # type: ignore[union-attr]
        .values(reply_message_id=claim)
    )
    return claimed.rowcount == 1


def release_reply(session: Session, *, message_id: str, claim: str) -> None:
    session.execute(
        update(IntakeChannelMessage)
        .where(IntakeChannelMessage.channel == "sms", IntakeChannelMessage.message_id == message_id,
               IntakeChannelMessage.reply_message_id == claim)
        .values(reply_message_id=None)
    )


def set_reply(session: Session, *, message_id: str, reply: str | None = None, reply_message_id: str | None = None) -> None:
    record = session.get(IntakeChannelMessage, ("sms", message_id))
    if record is None:
        return
    if reply is not None:
        record.reply = reply
    if reply_message_id is not None:
        record.reply_message_id = reply_message_id
    session.add(record)


def invite_rating(session: Session, event: TicketResolved | TicketSettledOnSpot) -> None:
    """办结 or 即办 of a ticket filed by SMS or for a caller on the hotline (NOTICE_CHANNELS): the resolution notice
    asks the reporter's mobile to rate by replying 1/2/3 (their reply rates it: both file under the number's account).

    Runs in intake's inbox transaction: an event handled twice is noticed once (recorded by event id); a gateway
    failure is logged and recorded unsent rather than failing the event the resident's view also follows."""
    ticket = session.get(IntakeTicket, event.ticket_id)
    if ticket is None or ticket.channel not in NOTICE_CHANNELS or ticket.anonymous:
        return
    if session.get(IntakeChannelMessage, ("sms-notice", str(event.event_id))) is not None:
        return
    contact = session.get(IntakeContact, ticket.id)
    if contact is None or not contact.phone_encrypted:
        return
    note = f"：{event.note[:60]}" if event.note else ""
    text = (f"【居民吹哨】您反映的问题（工单号：{ticket.id}）已办结{note}。"
            "请回复数字评价：1 满意，2 基本满意，3 不满意。")
    phone = get_vault().decrypt(contact.phone_encrypted)
    if not MOBILE.fullmatch(normalize_phone(phone)):  # a hotline caller on a landline: no text, staff call back
        return
    try:
        sent_id: str | None = get_sms_gateway().send(phone, text)
    except SmsError:
        sent_id = None
        log.warning("sms_rating_invite_unsent", ticket_id=ticket.id, to=mask_phone(phone))
    session.add(
        IntakeChannelMessage(channel="sms-notice", message_id=str(event.event_id), sender_key=ticket.reporter_id or "",
                             ticket_id=ticket.id, reply=text, reply_message_id=sent_id, received_at=datetime.now(timezone.utc))
    )


# --- feedback, on the reporter's behalf ---

def _as_reporter(reporter_id: str) -> dict[str, str]:
    token = mint_token(Principal(sub=reporter_id, role="resident", name="短信评价"), ttl_seconds=60)
    return {"Authorization": f"Bearer {token}"}


def latest_awaiting_rating(feedback: httpx.Client, reporter_id: str) -> str | None:
    response = feedback.get("/tickets/awaiting-rating", params={"limit": 500}, headers=_as_reporter(reporter_id))
    response.raise_for_status()
    tickets = response.json()  # oldest resolution first
    return tickets[-1]["id"] if tickets else None


def rate(feedback: httpx.Client, reporter_id: str, ticket_id: str, digit: str) -> str:
    satisfaction, label = RATINGS[digit]
    response = feedback.post(
        f"/tickets/{ticket_id}/rating",
        json={"satisfaction": satisfaction, "solved": satisfaction != "unsatisfied", "comment": f"短信评价：{label}"},
        headers=_as_reporter(reporter_id),
    )
    if response.status_code == 409:  # rated already (this push's first attempt, or another way)
        return f"【居民吹哨】工单{ticket_id}已评价，感谢您的反馈。"
    response.raise_for_status()
    if satisfaction == "unsatisfied":
        return f"【居民吹哨】已收到您对工单{ticket_id}的评价：{label}。我们将重新办理，请留意后续通知。"
    return f"【居民吹哨】已收到您对工单{ticket_id}的评价：{label}。感谢您的支持！"


# --- HTTP ---

class ChannelUnavailable(DomainError):
    """Something this push needs did not answer; the provider retries the push and only what is missing is redone."""

    status_code = 502


async def signed_inbound(
    request: Request,
    x_sms_timestamp: Annotated[str, Header(max_length=20)],
    x_sms_signature: Annotated[str, Header(max_length=128)],
) -> SmsInbound:
    """The pushed message, once the provider's signature over timestamp and body checks out."""
    settings = get_sms_inbound_settings()
    body = await request.body()
    settings.check_fresh(x_sms_timestamp, header="X-Sms-Timestamp", what="push")
    expected = hmac.new(settings.secret.encode(), x_sms_timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, x_sms_signature.removeprefix("sha256=")):
        raise Forbidden("X-Sms-Signature: does not match the shared secret")
    try:
        return SmsInbound.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FilingRejected(f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}") from None


@router.post(
    "/inbound",
    response_model=SmsAnswer,
    summary="A resident's text: file it, or rate with 1/2/3; the answer goes back by SMS",
    responses={403: {"description": "Unsigned, wrongly signed or stale push: nothing read"},
               502: {"description": "The answer could not be sent (or feedback did not answer); retry the push"}},
)
def inbound(
    message: Annotated[SmsInbound, Depends(signed_inbound)],
    runtime: RuntimeDep,
    gateway: Annotated[SmsGateway, Depends(get_sms_gateway)],
    feedback: Annotated[httpx.Client, Depends(get_feedback_client)],
) -> SmsAnswer:
    settings = get_sms_inbound_settings()
    reporter_id = reporter_id_for(message.sender, settings)
    digit = message.text.strip()
    try:
        if digit in RATINGS:
            record = runtime.read(lambda s: s.get(IntakeChannelMessage, ("sms", message.message_id)))
            if record is None:
                target = latest_awaiting_rating(feedback, reporter_id)
                record = runtime.run(record_rating_target, inbound=message, reporter_id=reporter_id, ticket_id=target)
            if record.reply is None and record.ticket_id:
                reply = rate(feedback, reporter_id, record.ticket_id, digit)
                runtime.run(set_reply, message_id=message.message_id, reply=reply)
                record.reply = reply
        else:
            record = runtime.run(record_text, inbound=message, reporter_id=reporter_id)
    except IntegrityError:  # a concurrent retry of the same push recorded it first
        record = runtime.read(lambda s: s.get(IntakeChannelMessage, ("sms", message.message_id)))
    except httpx.HTTPError as exc:
        log.warning("sms_rating_failed", message_id=message.message_id, error=type(exc).__name__)
        raise ChannelUnavailable("feedback: the rating service did not answer; retry the push") from None
    sent = record.reply_message_id is not None
    claim = f"sending:{uuid.uuid4().hex}"
    if not sent and record.reply and runtime.run(claim_reply, message_id=message.message_id, claim=claim):
        try:
            sent_id = gateway.send(message.sender, record.reply)
        except SmsError:
            runtime.run(release_reply, message_id=message.message_id, claim=claim)
            raise ChannelUnavailable("reply: the SMS gateway did not accept the answer; retry the push") from None
        runtime.run(set_reply, message_id=message.message_id, reply_message_id=sent_id)
    sent = sent or bool(record.reply)
    log.info("sms_inbound", sender=mask_phone(message.sender), message_id=message.message_id, ticket_id=record.ticket_id)
    return SmsAnswer(ticket_id=record.ticket_id, reply=record.reply or "", reply_sent=sent)
