"""Feedback HTTP API: the resident rates the result (评价); the ticket closes or is reopened (重办)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.errors import STATE_REFUSED
from libs.runtime.listing import paging
from services.feedback import callback, commands
from services.feedback.models import CallbackRequest, FeedbackTicketPublic, RatingRequest

router = APIRouter(tags=["feedback"])

Rater = Annotated[Principal, Depends(require("resident", "community_staff"))]
Viewer = Annotated[Principal, Depends(require("resident", "community_staff", "supervisor", "leader", "admin"))]
Caller = Annotated[Principal, Depends(require("community_staff", "supervisor"))]  # who makes 回访 calls
QueueReader = Annotated[Principal, Depends(require("community_staff", "supervisor", "leader", "admin"))]
QueuePage = paging(most=200, default=50)


@router.get(
    "/callbacks", response_model=list[FeedbackTicketPublic], summary="待回访: tickets whose rating window passed unrated"
)
def callbacks(principal: QueueReader, runtime: RuntimeDep, page: QueuePage) -> list[FeedbackTicketPublic]:
    with runtime.session() as session:
        tickets = callback.callback_queue(session, principal=principal, limit=page.limit, offset=page.offset)
        return [FeedbackTicketPublic(**t.model_dump()) for t in tickets]


@router.post(
    "/tickets/{ticket_id}/callback", response_model=FeedbackTicketPublic, responses=STATE_REFUSED,
    summary="回访: record one call (answered with the resident's verdict, or not answered)",
)
def record_call(ticket_id: str, body: CallbackRequest, principal: Caller, runtime: RuntimeDep) -> FeedbackTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        ticket = callback.record_call(session, principal=principal, ticket_id=ticket_id, body=body)
        return FeedbackTicketPublic(**ticket.model_dump())


@router.get("/tickets/awaiting-rating", response_model=list[FeedbackTicketPublic], summary="Tickets waiting for a rating")
def awaiting_rating(
    principal: Viewer, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[FeedbackTicketPublic]:
    with runtime.session() as session:
        return [FeedbackTicketPublic(**t.model_dump()) for t in commands.awaiting_rating(session, principal=principal, limit=limit)]


@router.get("/tickets/{ticket_id}", response_model=FeedbackTicketPublic, summary="One ticket's rating status")
def get_ticket(ticket_id: str, principal: Viewer, runtime: RuntimeDep) -> FeedbackTicketPublic:
    with runtime.session() as session:
        return FeedbackTicketPublic(**commands.get_ticket(session, principal=principal, ticket_id=ticket_id).model_dump())


@router.post(
    "/tickets/{ticket_id}/rating", response_model=FeedbackTicketPublic, summary="评价: rate a resolved ticket",
    responses=STATE_REFUSED,
)
def rate(ticket_id: str, body: RatingRequest, principal: Rater, runtime: RuntimeDep) -> FeedbackTicketPublic:
    with runtime.unit_of_work(ticket_id) as session:
        ticket = commands.rate_ticket(session, principal=principal, ticket_id=ticket_id, body=body)
        return FeedbackTicketPublic(**ticket.model_dump())
