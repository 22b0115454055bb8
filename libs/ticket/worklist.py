"""The list one community or department works from (社区转哨 console, 部门办哨 worklist): its tabs (待办 / 办结 /
已退单 / 全部), filters, search, sort and counts, read from the service's ticket table. A holder's staff see their own
tickets and no other: another community's or department's staff neither list nor find them; a supervisor lists the
tickets of their street's communities (and its triage queue) only."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Generic, Literal

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from libs.auth.principal import Principal, check_scope, street_scope
from libs.pii import mask_phone
from libs.sla.calendar import BEIJING
from libs.statemachine import Rejected
from libs.ticket.status import TicketStatus
from libs.ticket.table import Row

SortOrder = Literal["priority", "due", "filed", "newest"]
SORT_ORDERS: tuple[str, ...] = ("priority", "due", "filed", "newest")
_DIGITS = re.compile(r"^\d{4,11}$")


@dataclass(frozen=True)
class Tab:
    """One tab of a list: the statuses it shows (None: every status), or only the tickets returned (退单) at least
    once (`returned`)."""

    statuses: frozenset[TicketStatus] | None = None
    returned: bool = False


@dataclass(frozen=True)
class ListFilters:
    """What a list is narrowed to. `statuses` and `tab` both apply when both are given; with neither, the default
    (first) tab. Dates are Beijing calendar days of the list's date column, both ends included."""

    tab: str | None = None
    statuses: tuple[TicketStatus, ...] = ()
    category: str | None = None
    urgency: str | None = None
    grid_id: str | None = None
    escalated: bool | None = None  # 督办: escalated past a deadline
    overdue: bool | None = None  # a running stage's deadline has passed (suspended tickets are not overdue)
    reopened: bool | None = None  # 重办 at least once
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None  # ticket number, the phone's last four digits (or the whole number), address, title, text
    sort: SortOrder = "priority"  # priority: most escalated, then oldest; due: next deadline first; filed; newest


@dataclass(frozen=True)
class Worklist(Generic[Row]):
    """`tabs` in the order they are shown, the first the default; `date_column` is what `filed`/`newest` sort by
    and the date range filters (filing for the console, dispatch for a department)."""

    table: type[Row]
    holder: Literal["community", "department"]
    tabs: Mapping[str, Tab]
    date_column: str
    searched: tuple[str, ...] = field(default=("title", "description", "address"))

    def read(
        self, session: Session, *, principal: Principal, holder_id: str | None, filters: ListFilters, limit: int, offset: int
    ) -> list[Row]:
        """One holder's list (every holder's without `holder_id`); its staff see their own when they name none, and
        no other."""
        query = self._narrowed(select(self.table), principal, holder_id, filters, self._tab(filters))
        return list(session.exec(query.order_by(*self._order(filters.sort)).offset(offset).limit(limit)))

    def count(self, session: Session, *, principal: Principal, holder_id: str | None, filters: ListFilters) -> int:
        query = self._narrowed(select(func.count()).select_from(self.table), principal, holder_id, filters, self._tab(filters))
        return int(session.exec(query).one())

    def tab_counts(
        self, session: Session, *, principal: Principal, holder_id: str | None, filters: ListFilters
    ) -> dict[str, int]:
        """How many tickets each tab holds under the same filters and search (the tab and statuses aside)."""
        counts = {}
        for name, tab in self.tabs.items():
            query = select(func.count()).select_from(self.table)
            query = self._narrowed(query, principal, holder_id, ListFilters(**{**filters.__dict__, "statuses": ()}), tab)
            counts[name] = int(session.exec(query).one())
        return counts

    # -- the query -------------------------------------------------------------------------------------------------

    def _tab(self, filters: ListFilters) -> Tab | None:
        if filters.tab is None:
            return None if filters.statuses else next(iter(self.tabs.values()))
        if filters.tab not in self.tabs:
            raise Rejected(f"tab: unknown tab {filters.tab!r}; known: {', '.join(self.tabs)}")
        return self.tabs[filters.tab]

    def _holder(self, principal: Principal, holder_id: str | None) -> str | None:
        key = f"{self.holder}_id"
        if principal.role == f"{self.holder}_staff":
            holder_id = holder_id or getattr(principal, key)
            check_scope(principal, **{key: holder_id})
        return holder_id

    def _narrowed(self, query: Any, principal: Principal, holder_id: str | None, filters: ListFilters, tab: Tab | None) -> Any:
        table = self.table
        holder_id = self._holder(principal, holder_id)
        if holder_id:
            query = query.where(col(getattr(table, f"{self.holder}_id")) == holder_id)
        street = street_scope(principal)  # a supervisor: the tickets of their street's communities only
        if street is not None:
            query = query.where(col(table.community_id).in_(street))
        if tab is not None and tab.statuses is not None:
            query = query.where(col(table.status).in_(sorted(s.value for s in tab.statuses)))
        if tab is not None and tab.returned:
            query = query.where(col(table.return_count) > 0)
        if filters.statuses:
            query = query.where(col(table.status).in_(sorted({s.value for s in filters.statuses})))
        for name in ("category", "urgency", "grid_id"):
            if getattr(filters, name):
                query = query.where(col(getattr(table, name)) == getattr(filters, name))
        if filters.escalated is not None:
            level = col(table.escalation_level)
            query = query.where(level > 0 if filters.escalated else level == 0)
        if filters.reopened is not None:
            reopens = col(table.reopen_count)
            query = query.where(reopens > 0 if filters.reopened else reopens == 0)
        if filters.overdue is not None:
            late = (col(table.next_due) < datetime.now(timezone.utc)) & (col(table.suspended).is_(False))
            query = query.where(late if filters.overdue else ~late | col(table.next_due).is_(None))
        dated = col(getattr(table, self.date_column))
        if filters.date_from:
            query = query.where(dated >= _beijing_midnight(filters.date_from))
        if filters.date_to:
            query = query.where(dated < _beijing_midnight(filters.date_to + timedelta(days=1)))
        if filters.q and filters.q.strip():
            query = query.where(self._search(filters.q.strip()))
        return query

    def _search(self, text: str) -> Any:
        """The ticket number (any part), title, description or address containing `text`; a run of 4 to 10 digits
        also matches the masked phone's last four (138****5678), all 11 the whole masked number."""
        table, needle = self.table, text.lower()
        found = [func.lower(col(getattr(table, name))).contains(needle, autoescape=True) for name in ("id", *self.searched)]
        if _DIGITS.match(text):
            phone = col(table.reporter_phone_masked)
            found.append(phone == mask_phone(text) if len(text) == 11 else phone.endswith(text[-4:], autoescape=True))
        return or_(*found)

    def _order(self, sort: SortOrder) -> list[Any]:
        table = self.table
        dated, due = col(getattr(table, self.date_column)), col(table.next_due)
        by = {
            "priority": [col(table.escalation_level).desc(), dated],
            "due": [due.is_(None), due, dated],  # no running clock last
            "filed": [dated],
            "newest": [dated.desc()],
        }[sort]
        return [*by, col(table.id)]  # a stable order, so pages neither repeat nor skip a ticket


def _beijing_midnight(day: date) -> datetime:
    """In UTC: SQLite compares times as UTC text without a zone (a Beijing-zoned bound would be read 8 hours off)."""
    return datetime.combine(day, time(0), BEIJING).astimezone(timezone.utc)
