"""网格边界 over HTTP: admins read and replace the grid boundaries (GeoJSON) every intake replica places filings by."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from services.intake import boundaries
from services.intake.boundaries import GridBoundariesPublic

router = APIRouter(prefix="/admin", tags=["admin"])
Admin = Annotated[Principal, Depends(require("admin"))]

GRIDS_EXAMPLE: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"grid_id": "xinran-01", "community_id": "xinran", "name": "馨然嘉园第一网格"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[116.1213, 39.737], [116.1588, 39.737], [116.1612, 39.745], [116.1204, 39.745], [116.1213, 39.737]]],
            },
        }
    ],
}


@router.get("/grids", response_model=GridBoundariesPublic, summary="The grid boundaries in force (GeoJSON FeatureCollection)")
def get_grids(_principal: Admin) -> GridBoundariesPublic:
    return boundaries.current_boundaries()


@router.put(
    "/grids",
    response_model=GridBoundariesPublic,
    status_code=202,
    summary="Replace the grid boundaries; every replica applies them once the `config` topic delivers them",
    responses={422: {"description": "not a FeatureCollection, an invalid polygon, an unknown grid or community (named)"}},
)
def put_grids(
    principal: Admin,
    runtime: RuntimeDep,
    document: Annotated[
        dict[str, Any],
        Body(description="FeatureCollection of Polygons/MultiPolygons with properties grid_id, community_id, name",
             examples=[GRIDS_EXAMPLE]),
    ],
) -> GridBoundariesPublic:
    return runtime.run(boundaries.publish_boundaries, principal=principal, document=document)
