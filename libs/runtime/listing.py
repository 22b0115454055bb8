"""The two read endpoints every worklist has (the list, with status filter and paging, and one ticket), built once
for each service that keeps one (dispatch's console, department's worklist).

No `from __future__ import annotations` here: FastAPI must see the real types of the closures' parameters."""
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from libs.runtime.app import RuntimeDep
from libs.ticket import TicketStatus


@dataclass
class _ListParams:
    status: Annotated[
        list[TicketStatus] | None, Query(description="Filter by status; default: the tickets the holder must still act on")
    ] = None
    limit: Annotated[int, Query(ge=1, le=500)] = 100
    offset: Annotated[int, Query(ge=0)] = 0


ListParams = Annotated[_ListParams, Depends()]


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
        params: ListParams,
        holder_id: Annotated[str | None, Query(alias=f"{holder}_id", max_length=40)] = None,
    ) -> list[Any]:
        with runtime.session() as session:
            found = use_cases.list_tickets(
                session, principal=principal, holder_id=holder_id, statuses=params.status, limit=params.limit, offset=params.offset
            )
            return [to_public(t) for t in found]

    @router.get("/tickets/{ticket_id}", response_model=public_model, summary=get_summary)
    def get_ticket(ticket_id: str, principal: viewer, runtime: RuntimeDep) -> Any:
        with runtime.session() as session:
            return to_public(use_cases.get_ticket(session, principal=principal, ticket_id=ticket_id))

