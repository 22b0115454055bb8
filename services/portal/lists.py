"""The portal's side of a worklist (社区转哨 console, 部门办哨 worklist): the page's query string read leniently into
the backend's list parameters (tab, filters, search, sort, page), the list, its count per tab and the links that keep
the rest of the query when one part changes. A value a page cannot use is dropped, never an error page."""
from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from services.portal.clients import BackendRejected, BackendUnavailable, Backends

PAGE_SIZE = 30
SORTS = {"priority": "督办优先", "due": "按时限", "filed": "最早在前", "newest": "最新在前"}
FLAGS = {"overdue": "已超时", "escalated": "督办", "reopened": "重办"}
URGENCIES = ("emergency", "urgent", "ordinary", "complex")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class ListQuery:
    """What the page was asked to show; `tabs` are the backend's (the first the default)."""

    tabs: tuple[str, ...]
    tab: str
    q: str = ""
    category: str = ""
    urgency: str = ""
    grid_id: str = ""
    flags: frozenset[str] = frozenset()
    date_from: str = ""
    date_to: str = ""
    sort: str = "priority"
    page: int = 1
    selected: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # page parameters kept in links as they are

    @classmethod
    def read(cls, params: QueryParams, tabs: tuple[str, ...], aliases: dict[str, str] | None = None) -> ListQuery:
        tab = (aliases or {}).get(params.get("tab", ""), params.get("tab", ""))
        page = params.get("page", "1")
        return cls(
            tabs=tabs,
            tab=tab if tab in tabs else tabs[0],
            q=params.get("q", "").strip()[:100],
            category=_id(params.get("category")),
            urgency=params.get("urgency", "") if params.get("urgency") in URGENCIES else "",
            grid_id=_id(params.get("grid_id")),
            flags=frozenset(f for f in FLAGS if params.get(f) in ("1", "true", "on")),
            date_from=_date(params.get("date_from")),
            date_to=_date(params.get("date_to")),
            sort=params.get("sort", "") if params.get("sort") in SORTS else "priority",
            page=int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1,
            selected=_id(params.get("selected")),
        )

    @property
    def filtered(self) -> bool:
        """Anything beyond the tab and the order narrows the list."""
        return bool(self.q or self.category or self.urgency or self.grid_id or self.flags or self.date_from or self.date_to)

    def filter_params(self) -> list[tuple[str, str]]:
        """The backend's filters and search (what the counts per tab share)."""
        found = [(k, v) for k, v in (("q", self.q), ("category", self.category), ("urgency", self.urgency),
                                     ("grid_id", self.grid_id), ("date_from", self.date_from), ("date_to", self.date_to)) if v]
        return found + [(flag, "true") for flag in sorted(self.flags)]

    def list_params(self) -> list[tuple[str, str]]:
        return [("tab", self.tab), *self.filter_params(), ("sort", self.sort),
                ("limit", str(PAGE_SIZE)), ("offset", str((self.page - 1) * PAGE_SIZE))]

    def link(self, **changes: Any) -> str:
        """This page's URL with `changes` (a new tab or filter starts again at page 1, and forgets the selection)."""
        if set(changes) - {"page", "selected"}:
            changes = {"page": 1, "selected": "", **changes}
        moved = replace(self, **changes)
        query = [("tab", moved.tab), *moved.filter_params()]
        if moved.sort != "priority":
            query.append(("sort", moved.sort))
        if moved.page > 1:
            query.append(("page", str(moved.page)))
        if moved.selected:
            query.append(("selected", moved.selected))
        return "?" + urlencode(query)


@dataclass(frozen=True)
class ListPage:
    tickets: list[dict[str, Any]]
    counts: dict[str, int]
    query: ListQuery

    @property
    def total(self) -> int:
        return self.counts.get(self.query.tab, len(self.tickets))

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


async def load_list(clients: Backends, service: str, token: str, query: ListQuery) -> ListPage:
    """The page of tickets and the counts per tab, asked of `service` at once; counts are advice, and a list
    whose counts cannot be had shows this page's length for its tab."""
    tickets, counts = await asyncio.gather(
        clients.call(service, "GET", "/tickets", token=token, params=query.list_params()),
        clients.call(service, "GET", "/tickets/counts", token=token, params=query.filter_params()),
        return_exceptions=True,
    )
    if isinstance(tickets, BaseException):
        raise tickets
    if isinstance(counts, BackendRejected | BackendUnavailable):
        counts = {query.tab: len(tickets)}
    elif isinstance(counts, BaseException):
        raise counts
    return ListPage(tickets=tickets, counts=counts, query=query)


def _id(value: str | None) -> str:
    return value if value and _ID.match(value) else ""


def _date(value: str | None) -> str:
    return value if value and _DATE.match(value) else ""
