"""网格边界 over HTTP: admins read and replace the grid boundaries (GeoJSON) every intake replica places filings by;
everyone signed in reads them for the filing form's map and asks which grid a point lies in."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel

from libs.auth import ROLES, Principal, require
from libs.directory import get_directory
from libs.runtime import RuntimeDep
from libs.statemachine import Rejected
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


# ---------------------------------------------------------------------- everyone signed in: the map and where a point is

public_router = APIRouter(prefix="/grids", tags=["grids"])
Reader = Annotated[Principal, Depends(require(*ROLES))]


class GridPlace(BaseModel):
    """The grid a point lies in (the one a filing at that point is placed in); all None outside every grid."""

    grid_id: str | None = None
    community_id: str | None = None
    name: str | None = None


@public_router.get(
    "",
    summary="The grids in force as GeoJSON (one community's with ?community_id=), for the filing form's map",
)
def grid_map(
    _principal: Reader,
    community_id: Annotated[str | None, Query(max_length=40, description="Only this community's grids")] = None,
) -> dict[str, Any]:
    if community_id is not None and get_directory().community(community_id) is None:
        raise Rejected(f"community_id: unknown community {community_id!r}")
    grids = boundaries.current_grids()
    document = grids.to_geojson() if grids else {"type": "FeatureCollection", "features": []}
    if community_id is not None:
        document["features"] = [f for f in document["features"] if f["properties"]["community_id"] == community_id]
    return document


@public_router.get(
    "/locate", response_model=GridPlace,
    summary="The grid a point lies in, as filing places it (edges included); all null outside every grid",
)
def locate(
    _principal: Reader,
    latitude: Annotated[float, Query(ge=-90, le=90)],
    longitude: Annotated[float, Query(ge=-180, le=180)],
) -> GridPlace:
    grids = boundaries.current_grids()
    hit = grids.locate(latitude, longitude) if grids is not None else None
    return GridPlace(grid_id=hit.grid_id, community_id=hit.community_id, name=hit.name) if hit else GridPlace()
