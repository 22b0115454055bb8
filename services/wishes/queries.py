"""Reads: the public wall (no login, nothing personal), the review queue, one wish, mine, my notices."""
from __future__ import annotations

from sqlmodel import Session, col, or_, select

from libs.auth.principal import Principal, in_street
from libs.statemachine import NotFound
from services.wishes import domain
from services.wishes.commands import actor_of, load_wish
from services.wishes.domain import STAFF_ROLES, WishStatus
from services.wishes.models import NoticePublic, WallWish, Wish, WishNotice, WishPublic


def wall_view(wish: Wish) -> WallWish:
    return WallWish(**wish.model_dump(include=set(WallWish.model_fields)))


def full_view(wish: Wish, principal: Principal) -> WishPublic:
    return WishPublic(
        **wish.model_dump(include=set(WishPublic.model_fields) - {"is_mine", "claimed_by_me"}),
        is_mine=wish.wisher_id is not None and wish.wisher_id == principal.sub,
        claimed_by_me=wish.claimant_id == principal.sub,
    )


def wall(session: Session, *, community_id: str, status: str | None, limit: int, offset: int) -> list[WallWish]:
    """心愿墙: approved wishes of one community, open ones first, then the newest."""
    shown = [status] if status else [s.value for s in domain.ON_THE_WALL]
    rows = session.exec(
        select(Wish).where(Wish.community_id == community_id, col(Wish.status).in_(shown))
        .order_by(col(Wish.status) != WishStatus.open.value, col(Wish.posted_at).desc(), col(Wish.id))
        .offset(offset).limit(limit)
    )
    return [wall_view(w) for w in rows]


def review_queue(session: Session, *, principal: Principal, community_id: str, status: str | None) -> list[WishPublic]:
    """The community's wishes for its staff: awaiting review by default (待审核)."""
    domain.check_staff_scope(actor_of(principal), community_id)
    query = select(Wish).where(Wish.community_id == community_id)
    query = query.where(Wish.status == (status or WishStatus.pending_review.value))
    return [full_view(w, principal) for w in session.exec(query.order_by(col(Wish.posted_at)).limit(200))]


def get_wish(session: Session, *, principal: Principal, wish_id: str) -> WishPublic:
    """The wisher, the claimant and the community's staff see the whole wish; to anyone else it does not exist."""
    wish = load_wish(session, wish_id)
    mine = principal.sub in (wish.wisher_id, wish.claimant_id)
    staff_here = principal.role in STAFF_ROLES and (
        principal.role != "community_staff" or principal.community_id == wish.community_id
    ) and in_street(principal, wish.community_id)
    if not (mine or staff_here):
        raise NotFound(f"心愿 {wish_id} 不存在")
    return full_view(wish, principal)


def mine(session: Session, *, principal: Principal) -> list[WishPublic]:
    """A resident's own wishes and a volunteer's claims (running ones and those waiting for confirmation)."""
    query = select(Wish).where(or_(Wish.wisher_id == principal.sub, Wish.claimant_id == principal.sub))
    return [full_view(w, principal) for w in session.exec(query.order_by(col(Wish.updated_at).desc()).limit(200))]


def notices(session: Session, *, principal: Principal, limit: int) -> list[NoticePublic]:
    rows = session.exec(
        select(WishNotice).where(WishNotice.account_id == principal.sub)
        .order_by(col(WishNotice.created_at).desc(), col(WishNotice.id).desc()).limit(limit)
    )
    return [NoticePublic(**n.model_dump(include=set(NoticePublic.model_fields))) for n in rows]
