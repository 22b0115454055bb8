"""Where a filing belongs (属地): grid boundaries, addresses, and the order in which they decide. No I/O.

The order: an explicit grid or community; else the reported position inside a grid's boundary; else a community or
residential-compound name in the address; else the filer's own community; else a street's triage queue (街道分拨:
the street the address names, else the first street), where a supervisor of that street assigns it. Nothing is dropped.

Boundaries: a point on the edge of a grid counts as inside it (`covers`). A point on the edge two grids share
resolves to the grid whose id sorts first, so the same point always lands in the same grid.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree
from shapely.validation import explain_validity

from libs.directory import Directory
from libs.statemachine import Rejected

How = Literal["explicit", "coordinates", "address", "filer", "street_triage"]
MAX_FEATURES = 5000


class BoundariesRejected(Rejected):
    """The grid boundaries are not usable; the message names the feature and what is wrong (HTTP 422)."""


@dataclass(frozen=True)
class GridArea:
    grid_id: str
    community_id: str
    name: str
    polygon: BaseGeometry


@dataclass(frozen=True)
class Placement:
    """Where the ticket goes and how that was decided; `community_id` is the street's triage scope when unresolved."""

    community_id: str
    grid_id: str | None
    how: How


class GridMap:
    """Every grid's boundary, indexed (STRtree) so a point finds its grid without testing every polygon."""

    def __init__(self, areas: list[GridArea], *, version: int = 0) -> None:
        self.areas = sorted(areas, key=lambda a: a.grid_id)
        self.version = version
        self._tree = STRtree([a.polygon for a in self.areas])

    @classmethod
    def from_geojson(cls, document: Any, directory: Directory, *, version: int = 0) -> GridMap:
        """Validated boundaries: a FeatureCollection of valid (Multi)Polygons, each naming a grid of the district,
        that grid's community, and a name; BoundariesRejected names the first problem."""
        if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
            raise BoundariesRejected("type: expected a GeoJSON FeatureCollection")
        features = document.get("features")
        if not isinstance(features, list) or not features:
            raise BoundariesRejected("features: expected a non-empty list of grid polygons")
        if len(features) > MAX_FEATURES:
            raise BoundariesRejected(f"features: at most {MAX_FEATURES} grids")
        areas: dict[str, GridArea] = {}
        for index, feature in enumerate(features):
            area = _grid_area(feature, f"features[{index}]", directory)
            if area.grid_id in areas:
                raise BoundariesRejected(f"features[{index}].properties.grid_id: grid {area.grid_id!r} appears twice")
            areas[area.grid_id] = area
        return cls(list(areas.values()), version=version)

    def locate(self, latitude: float, longitude: float) -> GridArea | None:
        """The grid the point lies in (edges included; on a shared edge the grid id that sorts first), else None."""
        point = Point(longitude, latitude)  # GeoJSON order: x = longitude, y = latitude
        hits = [self.areas[i] for i in self._tree.query(point, predicate="covered_by")]
        return min(hits, key=lambda a: a.grid_id, default=None)

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"grid_id": a.grid_id, "community_id": a.community_id, "name": a.name},
                    "geometry": shapely.geometry.mapping(a.polygon),
                }
                for a in self.areas
            ],
        }


def _grid_area(feature: Any, where: str, directory: Directory) -> GridArea:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BoundariesRejected(f"{where}: expected a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise BoundariesRejected(f"{where}.properties: expected an object with grid_id, community_id, name")
    grid_id, community_id, name = props.get("grid_id"), props.get("community_id"), props.get("name")
    for key, value in (("grid_id", grid_id), ("community_id", community_id), ("name", name)):
        if not isinstance(value, str) or not value.strip():
            raise BoundariesRejected(f"{where}.properties.{key}: required (a non-empty string)")
    owner = directory.community_of_grid(grid_id)
    if owner is None:
        raise BoundariesRejected(f"{where}.properties.grid_id: unknown grid {grid_id!r}; add it to the district first")
    if owner.id != community_id:
        raise BoundariesRejected(
            f"{where}.properties.community_id: grid {grid_id!r} belongs to {owner.id!r}, not {community_id!r}"
        )
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise BoundariesRejected(f"{where}.geometry: expected a Polygon or MultiPolygon")
    try:
        polygon = shape(geometry)
    except Exception as exc:  # noqa: BLE001 - shapely raises several kinds for malformed coordinates
        raise BoundariesRejected(f"{where}.geometry: malformed coordinates ({exc})") from None
    if polygon.is_empty or not polygon.is_valid:
        reason = "empty" if polygon.is_empty else explain_validity(polygon)
        raise BoundariesRejected(f"{where}.geometry: invalid polygon for grid {grid_id!r} ({reason})")
    minx, miny, maxx, maxy = polygon.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundariesRejected(f"{where}.geometry: coordinates must be [longitude, latitude] in WGS84 degrees")
    return GridArea(grid_id=grid_id, community_id=community_id, name=name.strip(), polygon=polygon)


def _normalise(text: str) -> str:
    """Full-width letters and digits to half-width, no spaces: "馨然嘉园 ３号楼" matches "馨然嘉园3号楼"."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def address_names(directory: Directory) -> dict[str, str]:
    """Every name an address may mention -> its community: compound names, community names, and community names
    without the 社区 suffix (馨然嘉园社区 -> 馨然嘉园)."""
    names: dict[str, set[str]] = {}
    for community in directory.communities:
        candidates = {community.name, *community.compounds}
        if community.name.endswith("社区") and len(community.name) > 3:
            candidates.add(community.name.removesuffix("社区"))
        for name in candidates:
            names.setdefault(_normalise(name), set()).add(community.id)
    return {name: next(iter(owners)) for name, owners in names.items() if len(owners) == 1}


def community_of_address(directory: Directory, address: str | None) -> str | None:
    """The community whose name (or one of whose compounds) the address mentions; the longest name found wins, and
    an address whose longest names point at two communities stays unresolved."""
    if not address:
        return None
    text = _normalise(address)
    found = [(len(name), owner) for name, owner in address_names(directory).items() if name and name in text]
    if not found:
        return None
    longest = max(length for length, _ in found)
    owners = {owner for length, owner in found if length == longest}
    return owners.pop() if len(owners) == 1 else None


def _usable(latitude: float | None, longitude: float | None) -> bool:
    return latitude is not None and longitude is not None and math.isfinite(latitude) and math.isfinite(longitude)


def place(
    directory: Directory,
    grids: GridMap | None,
    *,
    community_id: str | None,
    grid_id: str | None,
    latitude: float | None,
    longitude: float | None,
    address: str | None,
    fallback_community: str | None,
) -> Placement:
    """Where the ticket goes, in the order the module docstring gives. Explicit ids must be the district's (the
    caller refuses unknown ones before); the rest never refuses: what nothing resolves goes to the street."""
    hit = grids.locate(latitude, longitude) if grids is not None and _usable(latitude, longitude) else None  # type: ignore[arg-type]
    if grid_id is not None:
        owner = directory.community_of_grid(grid_id)
        return Placement(owner.id if owner else community_id or "", grid_id, "explicit")
    if community_id is not None:
        inside = hit.grid_id if hit is not None and hit.community_id == community_id else None
        return Placement(community_id, inside, "explicit")
    if hit is not None:
        return Placement(hit.community_id, hit.grid_id, "coordinates")
    by_address = community_of_address(directory, address)
    if by_address is not None:
        return Placement(by_address, None, "address")
    if fallback_community is not None and directory.community(fallback_community) is not None:
        return Placement(fallback_community, None, "filer")
    # The triage queue of the street the address names (拱辰街道…), else the district's first street's.
    return Placement(directory.triage_scope_of(directory.triage_street_for(address).id), None, "street_triage")
