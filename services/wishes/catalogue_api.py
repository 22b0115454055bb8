"""积分兑换 over HTTP: the public catalogue, redeem, collect with the code, cancel."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from services.wishes import catalogue
from services.wishes.catalogue import RedemptionPublic, RewardChange, RewardItem, RewardRequest

router = APIRouter(tags=["rewards"])

Person = Annotated[Principal, Depends(require("resident", "grid_worker", "volunteer"))]
Staff = Annotated[Principal, Depends(require("community_staff", "supervisor", "admin"))]
PersonOrStaff = Annotated[Principal, Depends(require("resident", "grid_worker", "volunteer", "community_staff", "supervisor", "admin"))]
REFUSED: dict[int | str, dict[str, Any]] = {409: {"description": "积分余额不足 / 已兑完 / 已领取或已取消; `detail` says which"}}
SCOPE: dict[int | str, dict[str, Any]] = {403: {"description": "Another community's catalogue (community staff act in their own)"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "没有这个兑换物品 / 兑换码无效或已使用"}}


@router.get("/public/communities/{community_id}/rewards", response_model=list[RewardItem], summary="兑换目录 (public)")
def rewards(community_id: str, runtime: RuntimeDep) -> list[RewardItem]:
    return runtime.read(catalogue.catalogue, community_id=community_id)


@router.post("/communities/{community_id}/rewards", response_model=RewardItem, status_code=201, summary="Add a reward (staff)",
             responses=SCOPE)
def add_reward(community_id: str, body: RewardRequest, principal: Staff, runtime: RuntimeDep) -> RewardItem:
    return runtime.run(catalogue.add_item, principal=principal, community_id=community_id, body=body)


@router.post("/rewards/{item_id}/redeem", response_model=RedemptionPublic, status_code=201, summary="兑换: spend points", responses=REFUSED)
def redeem(item_id: str, principal: Person, runtime: RuntimeDep) -> RedemptionPublic:
    return runtime.run(catalogue.redeem, principal=principal, item_id=item_id)


@router.post(
    "/communities/{community_id}/redemptions/collect", response_model=RedemptionPublic,
    summary="核销: staff type the one-time code at the 党群服务中心", responses={**SCOPE, **NOT_FOUND},
)
def collect(
    community_id: str, principal: Staff, runtime: RuntimeDep,
    code: Annotated[str, Body(embed=True, min_length=4, max_length=20, examples=["K7M2Q9XA"])],
) -> RedemptionPublic:
    return runtime.run(catalogue.collect, principal=principal, community_id=community_id, code=code)


@router.post("/redemptions/{redemption_id}/cancel", response_model=RedemptionPublic, summary="取消兑换: points back", responses=REFUSED)
def cancel(redemption_id: str, principal: PersonOrStaff, runtime: RuntimeDep) -> RedemptionPublic:
    return runtime.run(catalogue.cancel, principal=principal, redemption_id=redemption_id)


@router.get("/me/redemptions", response_model=list[RedemptionPublic], summary="我的兑换")
def my_redemptions(principal: Person, runtime: RuntimeDep) -> list[RedemptionPublic]:
    return runtime.read(catalogue.mine, principal=principal)


@router.get("/communities/{community_id}/rewards", response_model=list[RewardItem], summary="The community's items, withdrawn ones too (staff)",
            responses=SCOPE)
def community_rewards(community_id: str, principal: Staff, runtime: RuntimeDep) -> list[RewardItem]:
    return runtime.read(catalogue.items_of, principal=principal, community_id=community_id)


@router.patch("/rewards/{item_id}", response_model=RewardItem, summary="补货 / 改积分 / 下架 (staff of the item's community)",
              responses={**SCOPE, **NOT_FOUND})
def change_reward(item_id: str, body: RewardChange, principal: Staff, runtime: RuntimeDep) -> RewardItem:
    return runtime.run(catalogue.change_item, principal=principal, item_id=item_id, body=body)


@router.get("/communities/{community_id}/redemptions", response_model=list[RedemptionPublic],
            summary="The community's redemptions (staff): 待领取 and what was collected, without codes or owners", responses=SCOPE)
def community_redemptions(
    community_id: str, principal: Staff, runtime: RuntimeDep,
    status: Annotated[str | None, Query(pattern="^(pending_pickup|collected|delivered|cancelled)$")] = None,
) -> list[RedemptionPublic]:
    return runtime.read(catalogue.redemptions_of, principal=principal, community_id=community_id, status=status)
