"""积分兑换: each community's catalogue of rewards with stock; a redemption spends points in the ledger and takes one
from stock in the same transaction; an offline reward is collected at the 党群服务中心 with a one-time code that
staff type; a cancelled redemption returns the item to stock and the points to the person (a ledger refund)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timezone
from typing import Literal

from sqlalchemy import CheckConstraint, Column, DateTime
from sqlmodel import Field, Session, SQLModel, col, select

from libs.auth.principal import Principal
from libs.pii import get_vault
from libs.statemachine import DomainError, Forbidden, NotFound
from services.wishes import ledger
from services.wishes.commands import actor_of
from services.wishes.domain import STAFF_ROLES, Actor, check_staff_scope

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: typed by staff from a phone screen
PENDING, COLLECTED, DELIVERED, CANCELLED = "pending_pickup", "collected", "delivered", "cancelled"


class RewardItem(SQLModel, table=True):
    __tablename__ = "wishes_reward_item"
    __table_args__ = (CheckConstraint("stock >= 0", name="ck_wishes_reward_stock"),)

    id: str = Field(primary_key=True, max_length=36)
    community_id: str = Field(max_length=40, index=True)
    name: str = Field(max_length=40)
    description: str = Field(default="", max_length=200)
    points: int
    stock: int
    kind: str = Field(max_length=10)  # online (delivered at once) / offline (collected with a code)
    active: bool = True
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Redemption(SQLModel, table=True):
    __tablename__ = "wishes_redemption"

    id: str = Field(primary_key=True, max_length=36)
    item_id: str = Field(foreign_key="wishes_reward_item.id", max_length=36, index=True)
    owner_id: str = Field(max_length=80, index=True)
    community_id: str = Field(max_length=40, index=True)
    item_name: str = Field(max_length=40)
    points: int
    status: str = Field(max_length=20, index=True)
    code_hash: str | None = Field(default=None, max_length=64, unique=True)
    code_enc: str | None = Field(default=None, max_length=300)  # the owner's code, encrypted: shown to them until used
    spend_txn_id: int
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    closed_by: str | None = Field(default=None, max_length=80)


class RewardRequest(SQLModel):
    name: str = Field(min_length=1, max_length=40)
    description: str = Field(default="", max_length=200)
    points: int = Field(gt=0, le=100_000)
    stock: int = Field(ge=0, le=100_000)
    kind: Literal["online", "offline"] = "offline"


class RewardChange(SQLModel):
    """Staff change an item: any field left out stays as it is; `active: false` takes it off the catalogue."""

    name: str | None = Field(default=None, min_length=1, max_length=40)
    description: str | None = Field(default=None, max_length=200)
    points: int | None = Field(default=None, gt=0, le=100_000)
    stock: int | None = Field(default=None, ge=0, le=100_000)
    active: bool | None = None


class RedemptionPublic(SQLModel):
    id: str
    item_id: str
    item_name: str
    community_id: str
    points: int
    status: str
    created_at: datetime
    code: str | None = None  # the pickup code: to its owner only, until collected or cancelled
    closed_at: datetime | None = None
    owner_label: str | None = None  # for staff: the owner's masked account (居民 m-3f…), never a name or phone


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def public(row: Redemption, code: str | None = None, *, for_staff: bool = False) -> RedemptionPublic:
    fields = row.model_dump(include=set(RedemptionPublic.model_fields) - {"code", "owner_label"})
    label = f"{row.owner_id[:4]}…" if for_staff else None
    return RedemptionPublic(**fields, code=code, owner_label=label)


def _own_code(row: Redemption) -> str | None:
    return get_vault().decrypt(row.code_enc) if row.code_enc and row.status == PENDING else None


def _staff(principal: Principal, community_id: str) -> None:
    check_staff_scope(actor_of(principal), community_id)


def add_item(session: Session, *, principal: Principal, community_id: str, body: RewardRequest) -> RewardItem:
    check_staff_scope(Actor(principal.sub, principal.role, principal.community_id, principal.street_id), community_id)
    item = RewardItem(id=str(uuid.uuid4()), community_id=community_id, created_at=_now(), **body.model_dump())
    session.add(item)
    return item


def catalogue(session: Session, *, community_id: str) -> list[RewardItem]:
    query = select(RewardItem).where(RewardItem.community_id == community_id, col(RewardItem.active).is_(True))
    return list(session.exec(query.order_by(col(RewardItem.points), col(RewardItem.name))))


def redeem(session: Session, *, principal: Principal, item_id: str) -> RedemptionPublic:
    """兑换: the item row is locked, so of many people after the last one exactly one gets it."""
    item = session.exec(select(RewardItem).where(RewardItem.id == item_id).with_for_update()).first()
    if item is None or not item.active:
        raise NotFound("没有这个兑换物品")
    if principal.community_id != item.community_id:
        raise Forbidden("只能兑换本社区的物品")
    if item.stock <= 0:
        raise DomainError(f"「{item.name}」已兑完")
    redemption_id = str(uuid.uuid4())
    txn = ledger.spend(session, owner_id=principal.sub, community_id=item.community_id,
                       source_event_id=f"redemption:{redemption_id}", reason="redemption", points=item.points, note=item.name)
    assert txn is not None and txn.id is not None
    item.stock -= 1
    session.add(item)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8)) if item.kind == "offline" else None
    row = Redemption(
        id=redemption_id, item_id=item.id, owner_id=principal.sub, community_id=item.community_id, item_name=item.name,
        points=item.points, status=PENDING if code else DELIVERED, code_hash=_hash(code) if code else None,
        code_enc=get_vault().encrypt(code) if code else None,
        spend_txn_id=txn.id, created_at=_now(),
    )
    session.add(row)
    return public(row, code)


def collect(session: Session, *, principal: Principal, community_id: str, code: str) -> RedemptionPublic:
    """Staff type the person's code at the 党群服务中心; a code works once, in its own community."""
    check_staff_scope(Actor(principal.sub, principal.role, principal.community_id, principal.street_id), community_id)
    row = session.exec(select(Redemption).where(Redemption.code_hash == _hash(code)).with_for_update()).first()
    if row is None or row.community_id != community_id or row.status != PENDING:
        raise NotFound("兑换码无效或已使用")
    row.status, row.closed_at, row.closed_by, row.code_enc = COLLECTED, _now(), principal.sub, None
    session.add(row)
    return public(row, for_staff=True)


def cancel(session: Session, *, principal: Principal, redemption_id: str) -> RedemptionPublic:
    """A redemption not yet collected is cancelled by its owner or the community's staff: stock and points return."""
    row = session.exec(select(Redemption).where(Redemption.id == redemption_id).with_for_update()).first()
    if row is None or (principal.sub != row.owner_id and principal.role not in STAFF_ROLES):
        raise NotFound("没有这条兑换记录")
    if principal.sub != row.owner_id:
        check_staff_scope(Actor(principal.sub, principal.role, principal.community_id, principal.street_id), row.community_id)
    if row.status != PENDING:
        raise DomainError("兑换已领取或已取消，不能再取消")
    item = session.exec(select(RewardItem).where(RewardItem.id == row.item_id).with_for_update()).one()
    item.stock += 1
    ledger.refund(session, txn_id=row.spend_txn_id, source_event_id=f"cancel:{row.id}")
    row.status, row.closed_at, row.closed_by, row.code_enc = CANCELLED, _now(), principal.sub, None
    session.add_all([item, row])
    return public(row, for_staff=principal.sub != row.owner_id)


def mine(session: Session, *, principal: Principal) -> list[RedemptionPublic]:
    rows = session.exec(select(Redemption).where(Redemption.owner_id == principal.sub).order_by(col(Redemption.created_at).desc()))
    return [public(r, _own_code(r)) for r in rows]


# --------------------------------------------------------------------------- the community's staff manage the catalogue


def items_of(session: Session, *, principal: Principal, community_id: str) -> list[RewardItem]:
    """Every item of the community, withdrawn ones too (the public catalogue shows the active ones)."""
    _staff(principal, community_id)
    query = select(RewardItem).where(RewardItem.community_id == community_id)
    return list(session.exec(query.order_by(col(RewardItem.active).desc(), col(RewardItem.points), col(RewardItem.name))))


def change_item(session: Session, *, principal: Principal, item_id: str, body: RewardChange) -> RewardItem:
    """补货, 改积分, 下架: the row is locked, so a change never loses a concurrent redemption's stock."""
    item = session.exec(select(RewardItem).where(RewardItem.id == item_id).with_for_update()).first()
    if item is None:
        raise NotFound("没有这个兑换物品")
    _staff(principal, item.community_id)
    for key, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(item, key, value)
    session.add(item)
    return item


def redemptions_of(session: Session, *, principal: Principal, community_id: str, status: str | None, limit: int = 100) -> list[RedemptionPublic]:
    """The community's redemptions for its staff (待领取 first by default), without codes or who the owner is."""
    _staff(principal, community_id)
    query = select(Redemption).where(Redemption.community_id == community_id)
    if status:
        query = query.where(Redemption.status == status)
    rows = session.exec(query.order_by(col(Redemption.created_at).desc()).limit(limit))
    return [public(r, for_staff=True) for r in rows]
