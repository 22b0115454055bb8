"""Wish HTTP API: the public wall, review by the community, claim / fulfil by volunteers, confirm by the wisher."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.errors import STATE_REFUSED
from services.wishes import commands, queries
from services.wishes.models import (
    ApproveRequest,
    ConfirmRequest,
    FulfilRequest,
    NoticePublic,
    ReasonRequest,
    WallStatus,
    WallWish,
    WishPublic,
)
from services.wishes.queries import full_view

router = APIRouter(tags=["wishes"])

STAFF = ("community_staff", "supervisor", "admin")
Staff = Annotated[Principal, Depends(require(*STAFF))]
Volunteer = Annotated[Principal, Depends(require("volunteer"))]
WisherOrStaff = Annotated[Principal, Depends(require("resident", "grid_worker", *STAFF))]
Anyone = Annotated[Principal, Depends(require("resident", "grid_worker", "volunteer", *STAFF, "leader"))]
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"description": "状态不允许 — e.g. 心愿已被认领 / 不能认领自己的心愿 / 心愿已确认，不能重复确认; `detail` says why in Chinese"},
}


@router.get(
    "/public/communities/{community_id}/wall", response_model=list[WallWish],
    summary="心愿墙: a community's approved wishes, public (no wisher, phone or name)",
)
def wall(
    community_id: str, runtime: RuntimeDep, status: WallStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> list[WallWish]:
    return runtime.read(queries.wall, community_id=community_id, status=status, limit=limit, offset=offset)


@router.get("/communities/{community_id}/wishes", response_model=list[WishPublic], summary="审核队列: the community's wishes by status")
def review_queue(
    community_id: str, principal: Staff, runtime: RuntimeDep,
    status: Annotated[str | None, Query(pattern="^(pending_review|declined|open|claimed|fulfilled|disputed|confirmed)$")] = None,
) -> list[WishPublic]:
    return runtime.read(queries.review_queue, principal=principal, community_id=community_id, status=status)


@router.get("/wishes/mine", response_model=list[WishPublic], summary="我的心愿 / 我的认领")
def mine(principal: Anyone, runtime: RuntimeDep) -> list[WishPublic]:
    return runtime.read(queries.mine, principal=principal)


@router.get("/notices", response_model=list[NoticePublic], summary="我的消息: what the wish service told me")
def notices(principal: Anyone, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[NoticePublic]:
    return runtime.read(queries.notices, principal=principal, limit=limit)


@router.get("/wishes/{wish_id}", response_model=WishPublic, summary="One wish, for its wisher, claimant or community staff")
def get_wish(wish_id: str, principal: Anyone, runtime: RuntimeDep) -> WishPublic:
    return runtime.read(queries.get_wish, principal=principal, wish_id=wish_id)


def _run(runtime, use_case, principal: Principal, **kwargs: Any) -> WishPublic:  # noqa: ANN001
    with runtime.unit_of_work(kwargs.get("wish_id")) as session:
        return full_view(use_case(session, principal=principal, **kwargs), principal)


@router.post("/wishes/{wish_id}/approve", response_model=WishPublic, summary="审核通过: on the wall", responses=STATE_REFUSED)
def approve(wish_id: str, body: ApproveRequest, principal: Staff, runtime: RuntimeDep) -> WishPublic:
    return _run(runtime, commands.approve, principal, wish_id=wish_id, body=body)


@router.post("/wishes/{wish_id}/decline", response_model=WishPublic, summary="不予通过, with the reason the wisher reads", responses=STATE_REFUSED)
def decline(wish_id: str, body: ReasonRequest, principal: Staff, runtime: RuntimeDep) -> WishPublic:
    return _run(runtime, commands.decline, principal, wish_id=wish_id, body=body)


@router.post("/wishes/{wish_id}/claim", response_model=WishPublic, summary="揽梦: claim a wish on the wall", responses=REFUSED)
def claim(wish_id: str, principal: Volunteer, runtime: RuntimeDep) -> WishPublic:
    return _run(runtime, commands.claim, principal, wish_id=wish_id)


@router.post("/wishes/{wish_id}/release", response_model=WishPublic, summary="放弃认领: back to the wall", responses=REFUSED)
def release(wish_id: str, principal: Volunteer, runtime: RuntimeDep) -> WishPublic:
    return _run(runtime, commands.release, principal, wish_id=wish_id)


@router.post("/wishes/{wish_id}/fulfil", response_model=WishPublic, summary="圆梦: record what was done", responses=REFUSED)
def fulfil(wish_id: str, body: FulfilRequest, principal: Volunteer, runtime: RuntimeDep) -> WishPublic:
    return _run(runtime, commands.fulfil, principal, wish_id=wish_id, body=body)


@router.post("/wishes/{wish_id}/confirm", response_model=WishPublic, summary="确认圆梦 (wisher, or staff for them)", responses=REFUSED)
def confirm(wish_id: str, principal: WisherOrStaff, runtime: RuntimeDep, body: ConfirmRequest | None = None) -> WishPublic:
    return _run(runtime, commands.confirm, principal, wish_id=wish_id, body=body or ConfirmRequest())


@router.post("/wishes/{wish_id}/dispute", response_model=WishPublic, summary="提出异议 (wisher, or staff for them)", responses=REFUSED)
def dispute(wish_id: str, body: ReasonRequest, principal: WisherOrStaff, runtime: RuntimeDep) -> WishPublic:
    return _run(runtime, commands.dispute, principal, wish_id=wish_id, body=body)


@router.post("/wishes/{wish_id}/reopen", response_model=WishPublic, summary="退回心愿墙: staff settle a dispute", responses=STATE_REFUSED)
def reopen(wish_id: str, principal: Staff, runtime: RuntimeDep) -> WishPublic:
    return _run(runtime, commands.reopen, principal, wish_id=wish_id)
