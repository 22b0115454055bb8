"""Turning a ticket event into messages (one transaction with the inbox row): fold the ticket, find the people it
concerns, render each one's template once and queue one message per channel they are reached by."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, select

from libs.directory import get_directory
from libs.events import Envelope
from libs.observability import get_logger
from services.notify import documents
from services.notify.audience import TicketFacts, audience, context, fold
from services.notify.domain import Notice, RosterPerson
from services.notify.models import NotifyContact, NotifyMessage, NotifyTicket

log = get_logger(__name__)


def _facts(row: NotifyTicket | None) -> TicketFacts | None:
    if row is None:
        return None
    return TicketFacts(row.id, row.community_id, row.department_id, row.reporter_id, row.title, row.urgency)


def _store_facts(session: Session, row: NotifyTicket | None, facts: TicketFacts, now: datetime) -> None:
    row = row or NotifyTicket(id=facts.ticket_id, updated_at=now)
    row.community_id, row.department_id, row.reporter_id = facts.community_id, facts.department_id, facts.reporter_id
    row.title, row.urgency, row.updated_at = facts.title[:120], facts.urgency, now
    session.add(row)


def reachable(person_id: str, contact: NotifyContact | None, roster: RosterPerson | None, enabled: frozenset[str]) -> list[tuple[str, str | None]]:
    """(channel, address as the log shows it) for one person: 站内信 always, then each external channel the service has
    (`enabled`) that the person has an address for and, once they saved preferences, wants."""
    email = (contact.email if contact else None) or (roster.email if roster else None)
    openid = (contact.wechat_openid if contact else None) or (roster.wechat_openid if roster else None)
    if openid is None and person_id.startswith("wechat:"):  # filed through the Official Account: the openid is the id
        openid = person_id.removeprefix("wechat:")
    phone = contact.phone_masked if contact and contact.phone_token else None
    known = {"sms": phone, "wechat": openid, "email": email}
    wanted = set(contact.channels) if contact else set(known)
    out: list[tuple[str, str | None]] = [("inbox", None)]
    out += [(channel, address) for channel, address in known.items() if address and channel in wanted and channel in enabled]
    return out


def plan_messages(session: Session, event: Envelope, *, enabled: frozenset[str], now: datetime | None = None) -> int:
    """Queue the messages `event` calls for; returns how many were queued (already queued ones are not again)."""
    now = now or datetime.now(timezone.utc)
    ticket_id = getattr(event, "ticket_id", None)
    if ticket_id is None:
        return 0
    row = session.get(NotifyTicket, ticket_id)
    facts = fold(_facts(row), event)
    _store_facts(session, row, facts, now)
    notices = audience(event, facts, documents.current_roster(session))
    if not notices:
        return 0
    templates = documents.current_templates(session)
    values = context(event, facts, get_directory())
    already = set(session.exec(
        select(NotifyMessage.person_id, NotifyMessage.channel).where(NotifyMessage.event_id == str(event.event_id))
    ).all())
    queued = 0
    for notice in notices:
        title, body = templates.render(notice.template, values)
        for channel, address in reachable(notice.person_id, session.get(NotifyContact, notice.person_id), notice.roster, enabled):
            if (notice.person_id, channel) in already:
                continue
            session.add(_message(event, facts, notice, channel, address, title, body, templates.version, now))
            queued += 1
    log.info("notifications_planned", event_type=event.type, people=len(notices), messages=queued)
    return queued


def _message(
    event: Envelope, facts: TicketFacts, notice: Notice, channel: str, address: str | None, title: str, body: str,
    templates_version: int, now: datetime,
) -> NotifyMessage:
    return NotifyMessage(
        event_id=str(event.event_id), event_type=event.type, ticket_id=facts.ticket_id,
        community_id=getattr(event, "community_id", None) or facts.community_id,
        department_id=getattr(event, "department_id", None) or facts.department_id,
        person_id=notice.person_id, person_name=notice.roster.name if notice.roster else None, channel=channel,
        template=notice.template, templates_version=templates_version, title=title[:120], body=body[:1000],
        address=address, emergency=facts.emergency, status="pending", attempts=0, next_attempt_at=now, created_at=now,
    )
