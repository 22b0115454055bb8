"""积分 and 时间银行 over HTTP: my balance and lines, the community's public standings, the admin's rules."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.documents import add_versioned_document_routes
from services.wishes import points, rules

router = APIRouter(tags=["points"])

Person = Annotated[Principal, Depends(require("resident", "grid_worker", "volunteer"))]
Admin = Annotated[Principal, Depends(require("admin"))]


@router.get("/me/points", response_model=points.MyPoints, summary="我的积分和服务时长, with the latest lines")
def my_points(principal: Person, runtime: RuntimeDep) -> points.MyPoints:
    return runtime.read(points.my_points, principal=principal)


@router.get(
    "/public/communities/{community_id}/points", response_model=list[points.PublicStanding],
    summary="积分公示: the community's volunteers by points and hours (surname only), public",
)
def standings(community_id: str, runtime: RuntimeDep) -> list[points.PublicStanding]:
    return runtime.read(points.standings, community_id=community_id)


add_versioned_document_routes(
    router, "/admin/points-rules", Admin, rules.PointsRulesPublic, rules.current_rules_public, rules.publish_rules,
    names=("get_points_rules", "put_points_rules"),
    summaries=("积分规则: the rules in force", "Publish the next version of the points rules"),
    body_description="The whole rules document; `version` must be the current version + 1",
    example={"version": 2, "actions": {
        "wish_fulfilled": {"points": 12, "points_per_hour": 5, "max_hours": 8, "daily_cap": None},
        "rating_given": {"points": 2, "points_per_hour": 0, "max_hours": 0, "daily_cap": 3},
        "project_attended": {"points": 5, "points_per_hour": 5, "max_hours": 8, "daily_cap": 2},
        "hazard_verified": {"points": 5, "points_per_hour": 0, "max_hours": 0, "daily_cap": 3},
    }},
)
