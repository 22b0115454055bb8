"""Where a filing belongs: point in a grid's polygon (edges, shared edges, outside every grid), addresses by community
and compound names, the order of the rules, and the admin's GeoJSON refused with the problem named."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from libs.directory import get_directory
from services.intake.boundaries import DEFAULT_FILE
from services.intake.placement import BoundariesRejected, GridMap, community_of_address, place

DIRECTORY = get_directory()


def square(grid_id: str, community_id: str, x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {
        "type": "Feature",
        "properties": {"grid_id": grid_id, "community_id": community_id, "name": grid_id},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


# Two grids side by side, sharing the edge longitude 116.15 (xinran-02 west of it, jiamenkou-01 east).
TWO = {
    "type": "FeatureCollection",
    "features": [
        square("xinran-02", "xinran", 116.10, 39.70, 116.15, 39.75),
        square("jiamenkou-01", "jiamenkou", 116.15, 39.70, 116.20, 39.75),
    ],
}


@pytest.fixture(scope="module")
def demo() -> GridMap:
    return GridMap.from_geojson(json.loads(Path(DEFAULT_FILE).read_text(encoding="utf-8")), DIRECTORY)


def test_the_demo_boundaries_cover_every_grid_of_the_district_without_overlaps(demo):
    grids = {g for c in DIRECTORY.communities for g in c.grids}
    assert {a.grid_id for a in demo.areas} == grids
    for a in demo.areas:
        for b in demo.areas:
            if a.grid_id < b.grid_id:
                assert a.polygon.intersection(b.polygon).area < 1e-12, (a.grid_id, b.grid_id)


def test_a_point_inside_a_grid_resolves_to_that_grid_and_its_community(demo):
    hit = demo.locate(39.7511, 116.1402)
    assert (hit.grid_id, hit.community_id) == ("xinran-02", "xinran")
    assert demo.locate(39.735, 116.11).grid_id == "shiliuqiao-01"
    assert demo.locate(39.765, 116.18).grid_id == "jiamenkou-02"


def test_a_point_outside_every_grid_is_unresolved(demo):
    assert demo.locate(39.90, 116.40) is None  # 天安门, far outside 长阳镇
    assert demo.locate(39.75, 116.05) is None  # just west of the street


def test_a_point_on_a_shared_boundary_resolves_to_the_grid_id_that_sorts_first():
    grids = GridMap.from_geojson(TWO, DIRECTORY)
    for _ in range(3):  # the same answer every time
        assert grids.locate(39.72, 116.15).grid_id == "jiamenkou-01"
    assert grids.locate(39.72, 116.1499).grid_id == "xinran-02"
    assert grids.locate(39.72, 116.1501).grid_id == "jiamenkou-01"


def test_a_point_on_an_outer_edge_or_corner_counts_as_inside():
    grids = GridMap.from_geojson(TWO, DIRECTORY)
    assert grids.locate(39.70, 116.12).grid_id == "xinran-02"  # southern edge
    assert grids.locate(39.75, 116.20).grid_id == "jiamenkou-01"  # north-east corner


def test_a_point_on_a_shared_edge_of_the_demo_data_is_deterministic(demo):
    # xinran-01 / xinran-02 share the vertex at (116.1612, 39.745) with jiamenkou-01's western edge.
    hits = {demo.locate(39.745, 116.1612).grid_id for _ in range(3)}
    assert hits == {"jiamenkou-01"}


@pytest.mark.parametrize(
    ("address", "community"),
    [
        ("馨然嘉园3号楼南侧", "xinran"),
        ("长阳镇 馨然嘉园社区 居委会门口", "xinran"),
        ("石榴桥小区东门", "shiliuqiao"),
        ("佳世苑5号楼", "jiamenkou"),
        ("水碾屯村口", "jiamenkou"),
        ("金域华府 １２号楼", "xinran"),  # full-width digits and spaces
        ("佳门口社区", "jiamenkou"),
    ],
)
def test_an_address_resolves_by_community_or_compound_name(address, community):
    assert community_of_address(DIRECTORY, address) == community


@pytest.mark.parametrize("address", [None, "", "朝阳区建国路88号", "长阳镇某处"])
def test_an_address_naming_no_community_or_compound_is_unresolved(address):
    assert community_of_address(DIRECTORY, address) is None


def test_an_address_naming_two_communities_equally_is_unresolved():
    assert community_of_address(DIRECTORY, "长阳半岛和石榴庄园之间") is None


def test_the_longest_name_wins_when_an_address_names_several():
    assert community_of_address(DIRECTORY, "佳世苑对面的石榴桥小区") == "shiliuqiao"  # 石榴桥小区 is longer


def _place(grids, **given):
    fields = {"community_id": None, "grid_id": None, "latitude": None, "longitude": None, "address": None, "fallback_community": None}
    where = place(DIRECTORY, grids, **{**fields, **given})
    return where.community_id, where.grid_id, where.how


def test_placement_order_explicit_then_coordinates_then_address_then_filer_then_street(demo):
    inside = {"latitude": 39.7511, "longitude": 116.1402}  # xinran-02
    assert _place(demo, grid_id="jiamenkou-01", **inside) == ("jiamenkou", "jiamenkou-01", "explicit")
    assert _place(demo, community_id="shiliuqiao", **inside) == ("shiliuqiao", None, "explicit")
    assert _place(demo, community_id="xinran", **inside) == ("xinran", "xinran-02", "explicit")  # its own grid kept
    assert _place(demo, address="石榴桥小区", fallback_community="jiamenkou", **inside) == ("xinran", "xinran-02", "coordinates")
    outside = {"latitude": 39.90, "longitude": 116.40}
    assert _place(demo, address="石榴桥小区", fallback_community="jiamenkou", **outside) == ("shiliuqiao", None, "address")
    assert _place(demo, address="某处", fallback_community="jiamenkou", **outside) == ("jiamenkou", None, "filer")
    assert _place(demo, address="某处", **outside) == (DIRECTORY.triage_scope, None, "street_triage")
    assert _place(None, **inside) == (DIRECTORY.triage_scope, None, "street_triage")  # no boundaries loaded


def _broken(change) -> dict:
    document = copy.deepcopy(TWO)
    change(document)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"type": "Feature"}, "type: expected a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "features: expected a non-empty list"),
        (_broken(lambda d: d["features"][1]["properties"].update(grid_id="moon-01")), "features[1].properties.grid_id: unknown grid 'moon-01'"),
        (
            _broken(lambda d: d["features"][0]["properties"].update(community_id="jiamenkou")),
            "features[0].properties.community_id: grid 'xinran-02' belongs to 'xinran'",
        ),
        (_broken(lambda d: d["features"][0]["properties"].pop("name")), "features[0].properties.name: required"),
        (_broken(lambda d: d["features"][1]["properties"].update(grid_id="xinran-02", community_id="xinran")), "appears twice"),
        (_broken(lambda d: d["features"][0].update(geometry={"type": "Point", "coordinates": [116.1, 39.7]})), "features[0].geometry: expected a Polygon"),
        (
            _broken(lambda d: d["features"][0]["geometry"].update(
                coordinates=[[[116.10, 39.70], [116.15, 39.75], [116.15, 39.70], [116.10, 39.75], [116.10, 39.70]]]
            )),
            "features[0].geometry: invalid polygon for grid 'xinran-02' (Self-intersection",
        ),
        (
            _broken(lambda d: d["features"][0]["geometry"].update(coordinates=[[[39.7, 116.1], [39.75, 116.1], [39.75, 116.15], [39.7, 116.1]]])),
            "features[0].geometry: coordinates must be [longitude, latitude]",
        ),
        (_broken(lambda d: d["features"][0]["geometry"].update(coordinates=[[["a", "b"]]])), "features[0].geometry: malformed"),
    ],
)
def test_bad_boundaries_are_refused_naming_the_feature_and_the_problem(document, message):
    with pytest.raises(BoundariesRejected) as refused:
        GridMap.from_geojson(document, DIRECTORY)
    assert message in str(refused.value)
    assert refused.value.status_code == 422


def test_boundaries_round_trip_through_geojson(demo):
    again = GridMap.from_geojson(demo.to_geojson(), DIRECTORY)
    assert [a.grid_id for a in again.areas] == [a.grid_id for a in demo.areas]
    assert again.locate(39.7511, 116.1402).grid_id == "xinran-02"


def test_without_a_boundaries_file_every_position_is_unresolved_and_the_file_is_read_once(tmp_path, monkeypatch):
    from services.intake import boundaries

    monkeypatch.setenv("GRIDS_FILE", str(tmp_path / "none.geojson"))
    monkeypatch.setattr(boundaries, "_current", boundaries._Current())
    reads = []
    monkeypatch.setattr(boundaries, "load_file", lambda: reads.append(1))
    assert boundaries.current_grids() is None and boundaries.current_grids() is None
    assert len(reads) == 1
    assert boundaries.current_boundaries().grids == 0


def test_a_publication_from_the_config_topic_replaces_the_boundaries_in_force(monkeypatch):
    from libs.events import Actor, GridBoundariesPublished
    from services.intake import boundaries

    monkeypatch.setattr(boundaries, "_current", boundaries._Current())
    assert boundaries.current_grids().locate(39.72, 116.12) is None  # south of the shipped grids
    event = GridBoundariesPublished(actor=Actor(role="admin", id="a1"), boundaries_version=5, document=TWO)
    boundaries.apply(event)
    assert boundaries.current_grids().locate(39.72, 116.12).grid_id == "xinran-02"
    shown = boundaries.current_boundaries()
    assert (shown.version, shown.source, shown.published_by, shown.grids) == (5, "published", "a1", 2)
    broken = event.model_copy(update={"boundaries_version": 6, "document": {"type": "FeatureCollection", "features": []}})
    boundaries.apply(broken)  # logged, not applied
    assert boundaries.current_boundaries().version == 5
