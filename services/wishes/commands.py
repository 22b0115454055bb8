"""The wish's moves (寻梦—揽梦—圆梦), one transaction each: check the rules, change the wish, stage its event."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from libs.auth.principal import Principal
from libs.events import Actor as EventActor
from libs.events import TicketFiled
from libs.events.wishes import (
    WishApproved,
    WishClaimed,
    WishClaimExpired,
    WishConfirmed,
    WishDeclined,
    WishDisputed,
    WishFulfilled,
    WishPosted,
    WishReturnedToWall,
)
from libs.messaging import record_event
from libs.statemachine import DomainError, NotFound
from services.wishes import domain
from services.wishes.domain import WishStatus
from services.wishes.models import ApproveRequest, ConfirmRequest, FulfilRequest, ReasonRequest, Wish, WishClaim, WishNotice
from services.wishes.volunteers import confirmed_volunteer

DEFAULT_CLAIM_SPAN_S = 72 * 3600  # 认领后三天内未圆梦，心愿自动回到心愿墙


def _now() -> datetime:
    return datetime.now(timezone.utc)


def claim_span() -> timedelta:
    """How long a claim holds the wish (WISH_CLAIM_SPAN_SECONDS; tests use seconds)."""
    return timedelta(seconds=float(os.environ.get("WISH_CLAIM_SPAN_SECONDS", DEFAULT_CLAIM_SPAN_S)))


def actor_of(principal: Principal) -> domain.Actor:
    return domain.Actor(sub=principal.sub, role=principal.role, community_id=principal.community_id, street_id=principal.street_id)


def _event_actor(principal: Principal) -> EventActor:
    return EventActor(**principal.actor())


def load_wish(session: Session, wish_id: str, *, lock: bool = False) -> Wish:
    query = select(Wish).where(Wish.id == wish_id)
    if lock:
        query = query.with_for_update()
    wish = session.exec(query).first()
    if wish is None:
        raise NotFound(f"心愿 {wish_id} 不存在")
    return wish


def _move(wish: Wish, action: str, target: WishStatus | None = None) -> None:
    wish.status = domain.check_move(action, WishStatus(wish.status), target).value
    wish.updated_at = _now()


def _tell(session: Session, account_id: str | None, wish: Wish, kind: str, text: str) -> None:
    if account_id:
        session.add(WishNotice(account_id=account_id, wish_id=wish.id, kind=kind, text=text[:300], created_at=_now()))


def _end_claim(session: Session, wish: Wish, outcome: str) -> WishClaim:
    claim = session.get(WishClaim, wish.claim_id)
    assert claim is not None and claim.ended_at is None, "a claimed wish has its running claim"
    claim.ended_at = _now()
    claim.outcome = outcome
    session.add(claim)
    return claim


# --------------------------------------------------------------------------- 寻梦: a wish filed as a ticket


def post_from_ticket(session: Session, event: TicketFiled) -> None:
    """A TicketFiled of kind wish, from any channel, becomes a wish awaiting review (once per ticket)."""
    if event.kind != "wish" or session.get(Wish, event.ticket_id) is not None:
        return
    now = _now()
    wish = Wish(
        id=event.ticket_id, community_id=event.community_id, grid_id=event.grid_id, title=event.title,
        description=event.description, public_title=domain.public_text(event.title)[:80],
        public_summary=domain.public_text(event.description)[:500], category=event.category, channel=event.channel,
        wisher_id=None if event.anonymous else event.reporter_id, status=WishStatus.pending_review.value,
        posted_at=event.occurred_at, updated_at=now,
    )
    session.add(wish)
    record_event(session, WishPosted(
        wish_id=wish.id, community_id=wish.community_id, title=wish.title, category=wish.category, channel=wish.channel,
        wisher_id=wish.wisher_id, actor=event.actor,
    ))


# --------------------------------------------------------------------------- review (community staff)


def approve(session: Session, *, principal: Principal, wish_id: str, body: ApproveRequest) -> Wish:
    wish = load_wish(session, wish_id, lock=True)
    domain.check_staff_scope(actor_of(principal), wish.community_id)
    _move(wish, "review", WishStatus.open)
    wish.public_title = body.public_title or wish.public_title
    wish.public_summary = body.public_summary or wish.public_summary
    wish.estimated_hours = body.estimated_hours
    wish.needed_by = body.needed_by
    session.add(wish)
    record_event(session, WishApproved(
        wish_id=wish.id, community_id=wish.community_id, public_title=wish.public_title,
        public_summary=wish.public_summary, estimated_hours=wish.estimated_hours, needed_by=wish.needed_by,
        actor=_event_actor(principal),
    ))
    return wish


def decline(session: Session, *, principal: Principal, wish_id: str, body: ReasonRequest) -> Wish:
    """未通过: the wisher reads the reason once, in full (一次性告知)."""
    wish = load_wish(session, wish_id, lock=True)
    domain.check_staff_scope(actor_of(principal), wish.community_id)
    _move(wish, "review", WishStatus.declined)
    wish.decline_reason = body.reason
    session.add(wish)
    _tell(session, wish.wisher_id, wish, "declined", f"您的心愿「{wish.title}」未通过审核：{body.reason}")
    record_event(session, WishDeclined(
        wish_id=wish.id, community_id=wish.community_id, reason=body.reason, wisher_id=wish.wisher_id,
        actor=_event_actor(principal),
    ))
    return wish


# --------------------------------------------------------------------------- 揽梦 (volunteers)


def claim(session: Session, *, principal: Principal, wish_id: str) -> Wish:
    """One claimant at a time: the wish row is locked, and the database allows one running claim per wish."""
    wish = load_wish(session, wish_id, lock=True)
    domain.check_claimant(actor_of(principal), community_id=wish.community_id, wisher_id=wish.wisher_id)
    volunteer = confirmed_volunteer(session, principal.sub, wish.community_id)
    _move(wish, "claim")
    now = _now()
    running = WishClaim(
        id=str(uuid.uuid4()), wish_id=wish.id, claimant_id=principal.sub, claimed_at=now,
        expires_at=domain.claim_expiry(now, claim_span()),
    )
    try:
        with session.begin_nested():
            session.add(running)
    except IntegrityError:
        raise DomainError(domain.REFUSALS["claim"][WishStatus.claimed]) from None
    wish.claim_id, wish.claimant_id, wish.claim_expires_at = running.id, principal.sub, running.expires_at
    wish.claimant_label = volunteer.public_label()[:40]  # 党员志愿者 王* / 共建单位 区实验小学
    session.add(wish)
    record_event(session, WishClaimed(
        wish_id=wish.id, community_id=wish.community_id, claim_id=running.id, claimant_id=principal.sub,
        expires_at=running.expires_at, actor=_event_actor(principal),
    ))
    return wish


def _back_to_wall(session: Session, wish: Wish, reason: str, actor: EventActor, action: str) -> None:
    claim_row = _end_claim(session, wish, reason)
    _move(wish, action, WishStatus.open)
    record_event(session, WishReturnedToWall(
        wish_id=wish.id, community_id=wish.community_id, claim_id=claim_row.id, claimant_id=claim_row.claimant_id,
        reason=reason, actor=actor,
    ))
    wish.claim_id = wish.claimant_id = wish.claimant_label = wish.claim_expires_at = None
    wish.fulfil_note, wish.fulfil_photos, wish.fulfil_hours, wish.dispute_reason = None, [], None, None
    session.add(wish)


def release(session: Session, *, principal: Principal, wish_id: str) -> Wish:
    """放弃认领: the claimant gives the wish back to the wall."""
    wish = load_wish(session, wish_id, lock=True)
    domain.check_move("release", WishStatus(wish.status))
    domain.check_is_claimant(actor_of(principal), wish.claimant_id)
    _back_to_wall(session, wish, "released", _event_actor(principal), "release")
    return wish


def expire_claim(session: Session, event: WishClaimExpired) -> None:
    """The claim's timer fired: if that claim still holds an unfulfilled wish, the wish goes back to the wall."""
    wish = session.exec(select(Wish).where(Wish.id == event.wish_id).with_for_update()).first()
    if wish is None or wish.claim_id != event.claim_id or wish.status != WishStatus.claimed.value:
        return  # fulfilled, given up or claimed anew meanwhile: the old timer says nothing any more
    claimant = wish.claimant_id
    _tell(session, claimant, wish, "claim_expired", f"您认领的心愿「{wish.public_title}」已超过认领期限，已回到心愿墙")
    _back_to_wall(session, wish, "claim_expired", event.actor, "release")


# --------------------------------------------------------------------------- 圆梦, confirmation


def fulfil(session: Session, *, principal: Principal, wish_id: str, body: FulfilRequest) -> Wish:
    wish = load_wish(session, wish_id, lock=True)
    domain.check_move("fulfil", WishStatus(wish.status))
    domain.check_is_claimant(actor_of(principal), wish.claimant_id)
    _move(wish, "fulfil")
    wish.fulfil_note, wish.fulfil_photos, wish.fulfil_hours = body.note, list(body.photos), body.hours
    wish.dispute_reason = None
    session.add(wish)
    _tell(session, wish.wisher_id, wish, "fulfilled", f"您的心愿「{wish.title}」已圆梦，请确认")
    record_event(session, WishFulfilled(
        wish_id=wish.id, community_id=wish.community_id, claim_id=wish.claim_id, claimant_id=principal.sub,
        note=body.note, photos=tuple(body.photos), hours=body.hours, actor=_event_actor(principal),
    ))
    return wish


def confirm(session: Session, *, principal: Principal, wish_id: str, body: ConfirmRequest) -> Wish:
    """The wisher (or staff for them) confirms; points and hours follow from WishConfirmed (once, by its event id)."""
    wish = load_wish(session, wish_id, lock=True)
    on_behalf = domain.check_wisher_or_staff(actor_of(principal), community_id=wish.community_id, wisher_id=wish.wisher_id)
    _move(wish, "confirm")
    _end_claim(session, wish, "confirmed")
    wish.thanks_note = body.thanks_note
    session.add(wish)
    _tell(session, wish.claimant_id, wish, "confirmed", f"心愿「{wish.public_title}」已确认完成，感谢您的付出")
    record_event(session, WishConfirmed(
        wish_id=wish.id, community_id=wish.community_id, claim_id=wish.claim_id, claimant_id=wish.claimant_id,
        hours=wish.fulfil_hours or 0, thanks_note=body.thanks_note, on_behalf=on_behalf, actor=_event_actor(principal),
    ))
    return wish


def dispute(session: Session, *, principal: Principal, wish_id: str, body: ReasonRequest) -> Wish:
    wish = load_wish(session, wish_id, lock=True)
    domain.check_wisher_or_staff(actor_of(principal), community_id=wish.community_id, wisher_id=wish.wisher_id)
    _move(wish, "dispute")
    wish.dispute_reason = body.reason
    session.add(wish)
    _tell(session, wish.claimant_id, wish, "disputed", f"心愿「{wish.public_title}」的心愿人有异议：{body.reason}")
    record_event(session, WishDisputed(
        wish_id=wish.id, community_id=wish.community_id, claim_id=wish.claim_id, claimant_id=wish.claimant_id,
        reason=body.reason, actor=_event_actor(principal),
    ))
    return wish


def reopen(session: Session, *, principal: Principal, wish_id: str) -> Wish:
    """Staff settle a dispute by putting the wish back on the wall for someone else to claim."""
    wish = load_wish(session, wish_id, lock=True)
    domain.check_staff_scope(actor_of(principal), wish.community_id)
    domain.check_move("reopen", WishStatus(wish.status))
    _tell(session, wish.claimant_id, wish, "reopened", f"心愿「{wish.public_title}」已由社区退回心愿墙")
    _back_to_wall(session, wish, "dispute_reopened", _event_actor(principal), "reopen")
    return wish
