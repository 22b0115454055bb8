"""微心愿 and points figures: GET /wishes/stats (leadership: the district with every community's row, or one community;
community staff: their own community; department staff hold no wishes: 403)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from libs.runtime import RuntimeDep
from libs.statemachine import Forbidden
from services.dashboard.access import visibility
from services.dashboard.api import PeriodDep, Viewer
from services.dashboard.wishes import DEFINITIONS, WishStats, wish_stats

router = APIRouter(tags=["dashboard"])


@router.get(
    "/wishes/stats", response_model=WishStats,
    summary="微心愿 and points over a period: posted, claimed, fulfilled, days to fulfil, active volunteers, points",
    responses={403: {"description": "department staff, or another community's figures",
                     "content": {"application/json": {"example": {"detail": "community_id: 'shiliuqiao' 超出您的查看范围"}}}}},
)
def stats(
    principal: Viewer, runtime: RuntimeDep, period: PeriodDep,
    community_id: Annotated[str | None, Query(max_length=40, pattern=r"^[\w\-]+$", description="one community (leadership)")] = None,
) -> WishStats:
    seen = visibility(principal)
    if not seen.everything and not seen.community_id:
        raise Forbidden("wishes: 微心愿统计仅领导、督办和社区可查看")
    if community_id and not seen.may_read(f"community:{community_id}"):
        raise Forbidden(f"community_id: {community_id!r} 超出您的查看范围（{seen.own_scope or '本街道'}）")
    stats = runtime.read(wish_stats, period=period, community_id=community_id or seen.community_id)
    stats.communities = [row for row in stats.communities if seen.may_read(f"community:{row.community_id}")]
    return stats


@router.get("/wishes/definitions", summary="What each wish figure means (shown on the page)")
def definitions(_principal: Viewer) -> dict[str, str]:
    return DEFINITIONS
