"""The two read endpoints every worklist has (the list, with status filter and paging, and one ticket), and the
POST /tickets/{ticket_id}/{action} routes that act on one of its tickets, built once for each service that keeps one
(dispatch's console, department's worklist); `Page` / `paging()`, the paging parameters of any other list.

No `from __future__ import annotations` here: FastAPI must see the real types of the closures' parameters."""
from dataclasses import dataclass
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Query

from libs.runtime.app import RuntimeDep
from libs.runtime.errors import STATE_REFUSED
from libs.ticket import TicketStatus


def paging(*, most: int = 500, default: int = 100) -> Any:
    """The `limit` (1 to `most`, default `default`) and `offset` query parameters of a list, as one dependency."""

    @dataclass
    class Page:
        limit: Annotated[int, Query(ge=1, le=most)] = default
        offset: Annotated[int, Query(ge=0)] = 0

    return Annotated[Page, Depends()]


Page = paging()


@dataclass
class _StatusFilter:
    status: Annotated[
        list[TicketStatus] | None, Query(description="Filter by status; default: the tickets the holder must still act on")
    ] = None


StatusFilter = Annotated[_StatusFilter, Depends()]


def add_worklist_routes(
    router: APIRouter, holder: str, viewer: Any, public_model: type, use_cases: Any, summaries: tuple[str, str]
) -> None:
    """GET /tickets (?{holder}_id=, status=, limit=, offset=) and GET /tickets/{ticket_id} on `router`, answered by
    `use_cases.list_tickets` / `use_cases.get_ticket` and shaped by the ticket table's `public(public_model)`."""
    list_summary, get_summary = summaries

    def to_public(ticket: Any) -> Any:
        return ticket.public(public_model)

    @router.get("/tickets", response_model=list[public_model], summary=list_summary)
    def list_tickets(
        principal: viewer,
        runtime: RuntimeDep,
        status: StatusFilter,
        page: Page,
        holder_id: Annotated[str | None, Query(alias=f"{holder}_id", max_length=40)] = None,
    ) -> list[Any]:
        with runtime.session() as session:
            found = use_cases.list_tickets(
                session, principal=principal, holder_id=holder_id, statuses=status.status, limit=page.limit, offset=page.offset
            )
            return [to_public(t) for t in found]

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
