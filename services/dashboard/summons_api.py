"""吹哨报到 figures: GET /summons/stats (summonses, each department's on-time check-in rate)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from services.dashboard.access import visibility
from services.dashboard.summons import SummonsStats, summons_stats

router = APIRouter(tags=["dashboard"])
Viewer = Annotated[Principal, Depends(require("leader", "supervisor", "admin", "community_staff", "department_staff"))]


@router.get(
    "/summons/stats", response_model=SummonsStats,
    summary="吹哨报到: how many summonses and each department's on-time check-in rate (community staff: their community; "
    "department staff: their department)",
)
def stats(
    principal: Viewer, runtime: RuntimeDep,
    community_id: Annotated[str | None, Query(max_length=40, description="one community (leadership)")] = None,
) -> SummonsStats:
    return runtime.read(summons_stats, seen=visibility(principal), community_id=community_id)
