"""The read endpoints every worklist has (the list with its tabs, filters, search, sort and paging; the counts per
tab; one ticket), and the POST /tickets/{ticket_id}/{action} routes that act on one of its tickets, built once for
each service that keeps one (dispatch's console, department's worklist); `Page` / `paging()`, the paging parameters of any other list.

No `from __future__ import annotations` here: FastAPI must see the real types of the closures' parameters."""
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Query, Response

from libs.runtime.app import RuntimeDep
from libs.runtime.errors import STATE_REFUSED
from libs.ticket import TicketStatus
from libs.ticket.worklist import ListFilters, SortOrder


def paging(*, most: int = 500, default: int = 100) -> Any:
    """The `limit` (1 to `most`, default `default`) and `offset` query parameters of a list, as one dependency."""

    @dataclass
    class Page:
        limit: Annotated[int, Query(ge=1, le=most)] = default
        offset: Annotated[int, Query(ge=0)] = 0

    return Annotated[Page, Depends()]


Page = paging()


def list_filters(tabs: tuple[str, ...]) -> Any:
    """The query parameters of a worklist (tab, status, category, urgency, grid, 督办, overdue, 重办, dates, search,
    sort) as one dependency whose `.filters()` is a `libs.ticket.worklist.ListFilters`."""
    TabName = Literal[tabs]  # type: ignore[valid-type]

    @dataclass
    class Filters:
        tab: Annotated[TabName | None, Query(description=f"One of {', '.join(tabs)}; default {tabs[0]} (unless status is given)")] = None
        status: Annotated[list[TicketStatus] | None, Query(description="Only these statuses (repeat); with tab, both apply")] = None
        category: Annotated[str | None, Query(max_length=40)] = None
        urgency: Annotated[str | None, Query(max_length=20)] = None
        grid_id: Annotated[str | None, Query(max_length=40)] = None
        escalated: Annotated[bool | None, Query(description="督办: escalated past a deadline (false: not escalated)")] = None
        overdue: Annotated[bool | None, Query(description="A running stage's deadline has passed (suspended ones are not)")] = None
        reopened: Annotated[bool | None, Query(description="重办 at least once")] = None
        date_from: Annotated[date | None, Query(description="From this Beijing date (filing, or dispatch for a department)")] = None
        date_to: Annotated[date | None, Query(description="To this Beijing date, included")] = None
        q: Annotated[str | None, Query(max_length=100, description=SEARCH_HELP)] = None
        sort: Annotated[SortOrder, Query(description=SORT_HELP)] = "priority"

        def filters(self) -> ListFilters:
            return ListFilters(
                tab=self.tab, statuses=tuple(self.status or ()), category=self.category, urgency=self.urgency,
                grid_id=self.grid_id, escalated=self.escalated, overdue=self.overdue, reopened=self.reopened,
                date_from=self.date_from, date_to=self.date_to, q=self.q, sort=self.sort,
            )

    return Annotated[Filters, Depends()]


SEARCH_HELP = "工单号 (any part), the phone's last four digits (or the whole number), address, title or description"
SORT_HELP = "priority: 督办 first, then oldest; due: the next deadline first; filed: oldest first; newest: newest first"
COUNTS_EXAMPLE = {"queue": 3, "handling": 12, "done": 40, "returned": 2, "all": 55}


def add_worklist_routes(
    router: APIRouter, holder: str, viewer: Any, public_model: type, use_cases: Any, summaries: tuple[str, str],
    tabs: tuple[str, ...],
) -> None:
    """GET /tickets (?{holder}_id=, tab=, filters, q=, sort=, limit=, offset=; the whole count in X-Total-Count),
    GET /tickets/counts (per tab) and GET /tickets/{ticket_id} on `router`, answered by `use_cases.list_tickets` /
    `count_tickets` / `tab_counts` / `get_ticket` and shaped by the ticket table's `public(public_model)`."""
    list_summary, get_summary = summaries
    Filters = list_filters(tabs)
    HolderId = Annotated[str | None, Query(alias=f"{holder}_id", max_length=40, description=f"Another {holder} (supervisors, leaders, admin)")]

    def to_public(ticket: Any) -> Any:
        return ticket.public(public_model)

    @router.get(
        "/tickets", response_model=list[public_model], summary=list_summary,
        responses={200: {"headers": {"X-Total-Count": {"description": "How many tickets match (every page)", "schema": {"type": "integer"}}}}},
    )
    def list_tickets(
        principal: viewer, runtime: RuntimeDep, query: Filters, page: Page, response: Response, holder_id: HolderId = None
    ) -> list[Any]:
        filters = query.filters()
        with runtime.session() as session:
            found = use_cases.list_tickets(
                session, principal=principal, holder_id=holder_id, filters=filters, limit=page.limit, offset=page.offset
            )
            total = use_cases.count_tickets(session, principal=principal, holder_id=holder_id, filters=filters)
            response.headers["X-Total-Count"] = str(total)
            return [to_public(t) for t in found]

    @router.get(
        "/tickets/counts", response_model=dict[str, int],
        summary="How many tickets each tab holds, under the same filters and search (tab and status aside)",
        responses={200: {"content": {"application/json": {"example": {t: n for t, n in COUNTS_EXAMPLE.items() if t in tabs}}}}},
    )
    def ticket_counts(principal: viewer, runtime: RuntimeDep, query: Filters, holder_id: HolderId = None) -> dict[str, int]:
        with runtime.session() as session:
            return use_cases.tab_counts(session, principal=principal, holder_id=holder_id, filters=query.filters())

    @router.get("/tickets/{ticket_id}", response_model=public_model, summary=get_summary)
    def get_ticket(ticket_id: str, principal: viewer, runtime: RuntimeDep) -> Any:
        with runtime.session() as session:
            return to_public(use_cases.get_ticket(session, principal=principal, ticket_id=ticket_id))


@dataclass(frozen=True)
class TicketActions:
    """The POST /tickets/{ticket_id}/{action} routes of one router, for the principals `allowed` (a `require(...)`
    dependency), each answered by the ticket table's `public(public_model)`."""

    router: APIRouter
    allowed: Any
    public_model: type

    def add(
        self,
        action: str,
        use_case: Any,
        body_type: Any = None,
        *,
        summary: str,
        name: str | None = None,
        allowed: Any = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
    ) -> None:
        """`use_case(session, principal=, ticket_id=, **the body's fields)` as one unit of work. `body_type`: the request
        model (`Model | None`: it may be left out, and the use case gets the model's defaults; none: no body); `name`
        (the operation id's stem): the use case's name; `allowed`: the router's."""
        public_model, who = self.public_model, allowed or self.allowed
        model = next((t for t in get_args(body_type) if t is not type(None)), body_type)  # Model | None -> Model

        def answer(runtime: Any, principal: Any, ticket_id: str, request: Any) -> Any:
            # the fields as they are (not model_dump: nested models stay models)
            fields = {field: getattr(request, field) for field in type(request).model_fields} if request is not None else {}
            return runtime.run(use_case, principal=principal, ticket_id=ticket_id, **fields).public(public_model)

        if body_type is None:

            def endpoint(ticket_id: str, principal: who, runtime: RuntimeDep) -> Any:
                return answer(runtime, principal, ticket_id, None)

        elif model is body_type:

            def endpoint(ticket_id: str, body: model, principal: who, runtime: RuntimeDep) -> Any:
                return answer(runtime, principal, ticket_id, body)

        else:  # Model | None: the body may be left out

            def endpoint(ticket_id: str, principal: who, runtime: RuntimeDep, body: body_type = None) -> Any:
                return answer(runtime, principal, ticket_id, body or model())

        self.router.add_api_route(
            f"/tickets/{{ticket_id}}/{action}", endpoint, methods=["POST"], response_model=public_model, summary=summary,
            name=name or use_case.__name__, responses={**STATE_REFUSED, **(responses or {})},
        )
