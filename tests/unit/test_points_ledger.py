"""积分 / 时间银行 ledger: random interleavings of earn, spend, refund and redelivered events never leave a person
below zero, always sum to zero per unit, and never credit one event twice (hypothesis, on SQLite)."""
from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from sqlalchemy import func
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from libs.db import transaction
from libs.statemachine import DomainError
from services.wishes import ledger

PEOPLE = ("m-zhang", "vol-wang", "vol-li")
COMMUNITIES = ("xinran", "shiliuqiao", None)
TABLES = [ledger.LedgerAccount.__table__, ledger.LedgerTransaction.__table__, ledger.LedgerEntry.__table__]


def fresh_engine():
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine, tables=TABLES)
    return engine


class LedgerMachine(RuleBasedStateMachine):
    spends = Bundle("spends")
    earnings = Bundle("earnings")

    def __init__(self) -> None:
        super().__init__()
        self.engine = fresh_engine()
        self.expected: dict[tuple[str, str], int] = defaultdict(int)
        self.refunded: set[int] = set()
        self.serial = 0

    def _source(self) -> str:
        self.serial += 1
        return f"evt-{self.serial}"

    @rule(target=earnings, owner=st.sampled_from(PEOPLE), community=st.sampled_from(COMMUNITIES),
          points=st.integers(0, 50), minutes=st.integers(0, 240))
    def earn(self, owner: str, community: str | None, points: int, minutes: int) -> tuple[str, str, str | None, int, int]:
        source = self._source()
        with transaction(self.engine) as session:
            ledger.earn(session, owner_id=owner, community_id=community, source_event_id=source, reason="wish_fulfilled",
                        points=points, minutes=minutes)
        self.expected[(owner, "points")] += points
        self.expected[(owner, "minutes")] += minutes
        return source, owner, community, points, minutes

    @rule(earning=earnings)
    def redeliver(self, earning: tuple[str, str, str | None, int, int]) -> None:
        source, owner, community, points, minutes = earning
        with transaction(self.engine) as session:
            again = ledger.earn(session, owner_id=owner, community_id=community, source_event_id=source,
                                reason="wish_fulfilled", points=points, minutes=minutes)
        assert again is None

    @rule(target=spends, owner=st.sampled_from(PEOPLE), community=st.sampled_from(COMMUNITIES), points=st.integers(1, 80))
    def spend(self, owner: str, community: str | None, points: int) -> int | None:
        before = self.expected[(owner, "points")]
        try:
            with transaction(self.engine) as session:
                txn = ledger.spend(session, owner_id=owner, community_id=community, source_event_id=self._source(),
                                   reason="redemption", points=points)
                txn_id = txn.id if txn else None
        except DomainError as refused:
            assert before < points and "积分余额不足" in str(refused)
            return None
        assert before >= points
        self.expected[(owner, "points")] -= points
        return txn_id

    @rule(txn_id=spends)
    def refund(self, txn_id: int | None) -> None:
        if txn_id is None:
            return
        with transaction(self.engine) as session:
            done = ledger.refund(session, txn_id=txn_id, source_event_id=self._source())
            owner = session.get(ledger.LedgerTransaction, txn_id).beneficiary_id
            amount = -sum(e.amount for e in session.exec(
                select(ledger.LedgerEntry).where(ledger.LedgerEntry.txn_id == txn_id, ledger.LedgerEntry.account_id.like("person:%"))
            ))
        if txn_id in self.refunded:
            assert done is None
        else:
            assert done is not None
            self.refunded.add(txn_id)
            self.expected[(owner, "points")] += amount

    @invariant()
    def balances_match_and_never_go_negative(self) -> None:
        with Session(self.engine) as session:
            accounts = session.exec(select(ledger.LedgerAccount)).all()
            for account in accounts:
                entries = session.exec(
                    select(func.coalesce(func.sum(ledger.LedgerEntry.amount), 0)).where(ledger.LedgerEntry.account_id == account.id)
                ).one()
                assert account.balance == entries
                if account.kind != "issuer":
                    assert account.balance >= 0
            for owner in PEOPLE:
                for unit in ledger.UNITS:
                    assert ledger.balance(session, owner, unit) == self.expected[(owner, unit)]

    @invariant()
    def every_unit_and_every_transaction_sums_to_zero(self) -> None:
        with Session(self.engine) as session:
            for unit in ledger.UNITS:
                total = session.exec(
                    select(func.coalesce(func.sum(ledger.LedgerAccount.balance), 0)).where(ledger.LedgerAccount.unit == unit)
                ).one()
                assert total == 0
            per_txn: dict[tuple[int, str], int] = defaultdict(int)
            for entry in session.exec(select(ledger.LedgerEntry)):
                per_txn[(entry.txn_id, entry.account_id.rsplit(":", 1)[1])] += entry.amount
            assert not any(per_txn.values())


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def test_an_unbalanced_transaction_is_refused_and_a_person_cannot_go_negative_even_with_the_check_bypassed() -> None:
    engine = fresh_engine()
    with pytest.raises(ValueError, match="unbalanced"), transaction(engine) as session:
        ledger.post(session, source_event_id="x", reason="r", beneficiary_id="a", legs={ledger.person("a", "points"): 5})
    with transaction(engine) as session:
        ledger.earn(session, owner_id="a", community_id="xinran", source_event_id="e1", reason="r", points=3)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), transaction(engine) as session:  # the database's own CHECK, below the code's
        account = session.get(ledger.LedgerAccount, ledger.person("a", "points"))
        account.balance = -1
        session.add(account)
    with Session(engine) as session:
        assert ledger.balance(session, "a", "points") == 3
