"""积分 and 时间银行 as a double-entry ledger: every transaction moves amounts between accounts so that, per unit,
its entries sum to zero; a person's account never goes below zero; a transaction names the event that caused it,
and that name is unique, so a redelivered event never credits twice.

Accounts: `person:<owner>:<unit>` (a resident's or volunteer's balance), `issuer:<community>:<unit>` (what the
community has awarded: the only accounts that go negative) and `redeemed:<community>:<unit>` (what was spent)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Literal

from sqlalchemy import CheckConstraint, Column, DateTime, UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from libs.statemachine import DomainError

Unit = Literal["points", "minutes"]
UNITS: tuple[Unit, ...] = ("points", "minutes")
DISTRICT = "district"  # the issuer of credits that belong to no community


class LedgerAccount(SQLModel, table=True):
    __tablename__ = "wishes_account"
    __table_args__ = (CheckConstraint("may_go_negative OR balance >= 0", name="ck_wishes_account_not_negative"),)

    id: str = Field(primary_key=True, max_length=140)
    owner_id: str = Field(max_length=80, index=True)
    kind: str = Field(max_length=10)  # person / issuer / redeemed
    unit: str = Field(max_length=10)
    community_id: str | None = Field(default=None, max_length=40, index=True)
    may_go_negative: bool = False
    balance: int = 0
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LedgerTransaction(SQLModel, table=True):
    __tablename__ = "wishes_ledger_txn"
    __table_args__ = (UniqueConstraint("source_event_id", name="uq_wishes_ledger_source_event"),)

    id: int | None = Field(default=None, primary_key=True)
    source_event_id: str = Field(max_length=80)
    reason: str = Field(max_length=40, index=True)
    beneficiary_id: str = Field(max_length=80, index=True)
    community_id: str | None = Field(default=None, max_length=40)
    rules_version: int = 0
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "wishes_ledger_entry"

    id: int | None = Field(default=None, primary_key=True)
    txn_id: int = Field(foreign_key="wishes_ledger_txn.id", index=True)
    account_id: str = Field(foreign_key="wishes_account.id", max_length=140, index=True)
    amount: int


def _now() -> datetime:
    return datetime.now(timezone.utc)


def person(owner_id: str, unit: Unit) -> str:
    return f"person:{owner_id}:{unit}"


def issuer(community_id: str | None, unit: Unit) -> str:
    return f"issuer:{community_id or DISTRICT}:{unit}"


def redeemed(community_id: str | None, unit: Unit) -> str:
    return f"redeemed:{community_id or DISTRICT}:{unit}"


def _account(session: Session, account_id: str, community_id: str | None) -> LedgerAccount:
    """The account, created on first use (in a savepoint: two first uses at once make one row)."""
    found = session.get(LedgerAccount, account_id)
    if found is not None:
        return found
    kind, owner, unit = account_id.split(":", 2)
    try:
        with session.begin_nested():
            row = LedgerAccount(
                id=account_id, owner_id=owner, kind=kind, unit=unit, may_go_negative=kind == "issuer",
                community_id=community_id if kind == "person" else (None if owner == DISTRICT else owner), updated_at=_now(),
            )
            session.add(row)
    except IntegrityError:
        row = session.get(LedgerAccount, account_id)
        assert row is not None
    return row


def already_posted(session: Session, source_event_id: str) -> bool:
    return session.exec(select(LedgerTransaction.id).where(LedgerTransaction.source_event_id == source_event_id)).first() is not None


def post(
    session: Session, *, source_event_id: str, reason: str, beneficiary_id: str, legs: dict[str, int],
    community_id: str | None = None, rules_version: int = 0, note: str | None = None,
) -> LedgerTransaction | None:
    """One balanced transaction; None when `source_event_id` was posted before. DomainError (409) when a person's
    balance would go below zero; nothing is stored then."""
    legs = {account: amount for account, amount in legs.items() if amount}
    per_unit: dict[str, int] = defaultdict(int)
    for account_id, amount in legs.items():
        per_unit[account_id.rsplit(":", 1)[1]] += amount
    if any(per_unit.values()):
        raise ValueError(f"unbalanced transaction {dict(per_unit)}")
    if already_posted(session, source_event_id) or not legs:
        return None
    for account_id in sorted(legs):  # create, then lock in one order: concurrent postings never deadlock
        _account(session, account_id, community_id)
    accounts = {
        a.id: a for a in session.exec(
            select(LedgerAccount).where(col(LedgerAccount.id).in_(sorted(legs))).order_by(col(LedgerAccount.id)).with_for_update()
        )
    }
    for account_id, amount in legs.items():
        account = accounts[account_id]
        if not account.may_go_negative and account.balance + amount < 0:
            unit = "积分" if account.unit == "points" else "服务时长"
            raise DomainError(f"{unit}余额不足：现有 {account.balance}，需要 {-amount}")
    txn = LedgerTransaction(
        source_event_id=source_event_id, reason=reason, beneficiary_id=beneficiary_id, community_id=community_id,
        rules_version=rules_version, note=note, created_at=_now(),
    )
    try:
        with session.begin_nested():
            session.add(txn)
            session.flush()
    except IntegrityError:
        return None  # the same event, posted by a concurrent delivery that committed first
    assert txn.id is not None
    for account_id, amount in legs.items():
        account = accounts[account_id]
        account.balance += amount
        account.updated_at = txn.created_at
        session.add(account)
        session.add(LedgerEntry(txn_id=txn.id, account_id=account_id, amount=amount))
    return txn


def earn(
    session: Session, *, owner_id: str, community_id: str | None, source_event_id: str, reason: str,
    points: int = 0, minutes: int = 0, rules_version: int = 0, note: str | None = None,
) -> LedgerTransaction | None:
    """The community awards a person points and time-bank minutes."""
    legs: dict[str, int] = {}
    for unit, amount in (("points", points), ("minutes", minutes)):
        if amount < 0:
            raise ValueError("an award is never negative")
        legs[issuer(community_id, unit)] = -amount  # type: ignore[arg-type]
        legs[person(owner_id, unit)] = amount  # type: ignore[arg-type]
    return post(session, source_event_id=source_event_id, reason=reason, beneficiary_id=owner_id, legs=legs,
                community_id=community_id, rules_version=rules_version, note=note)


def spend(
    session: Session, *, owner_id: str, community_id: str | None, source_event_id: str, reason: str, points: int,
    note: str | None = None,
) -> LedgerTransaction | None:
    """Points redeemed (兑换): refused with 积分余额不足 when the balance is short."""
    if points <= 0:
        raise ValueError("a spend is positive")
    legs = {person(owner_id, "points"): -points, redeemed(community_id, "points"): points}
    return post(session, source_event_id=source_event_id, reason=reason, beneficiary_id=owner_id, legs=legs,
                community_id=community_id, note=note)


def refund(session: Session, *, txn_id: int, source_event_id: str) -> LedgerTransaction | None:
    """Undo a spend (a cancelled redemption): its entries reversed, once."""
    original = session.get(LedgerTransaction, txn_id)
    if original is None:
        raise DomainError(f"没有这笔积分记录（{txn_id}）")
    if original.reason.startswith("refund:"):
        raise DomainError("退还记录不能再退还")
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.txn_id == txn_id)).all()
    legs = {e.account_id: -e.amount for e in entries}
    return post(session, source_event_id=f"refund:{txn_id}", reason=f"refund:{original.reason}"[:40],
                beneficiary_id=original.beneficiary_id, legs=legs, community_id=original.community_id,
                note=f"退还 #{txn_id}（{source_event_id}）"[:200])


def balance(session: Session, owner_id: str, unit: Unit) -> int:
    account = session.get(LedgerAccount, person(owner_id, unit))
    return account.balance if account else 0


def credits_today(session: Session, *, owner_id: str, reason: str, since: datetime) -> int:
    return session.exec(
        select(func.count()).select_from(LedgerTransaction).where(
            LedgerTransaction.beneficiary_id == owner_id, LedgerTransaction.reason == reason,
            LedgerTransaction.created_at >= since,
        )
    ).one()
