"""The district's hierarchy (district → streets → communities → grids; departments at district or street level) and
the one street rule every supervisor check asks (libs.auth.principal: check_scope / street_scope / in_street)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from shapely.geometry import shape

from libs.auth.principal import Principal, check_scope, in_street, street_scope
from libs.directory import Directory, get_directory
from libs.statemachine import Forbidden
from services.intake.placement import place

ROOT = Path(__file__).resolve().parents[2]
DIRECTORY = get_directory()
SUP_A = Principal(sub="s1", role="supervisor", street_id="changyang")
SUP_B = Principal(sub="s2", role="supervisor", street_id="gongchen")


def test_the_demo_district_has_two_streets_of_three_communities_each():
    assert DIRECTORY.district.name == "房山区"
    assert [s.id for s in DIRECTORY.streets] == ["changyang", "gongchen"]
    assert [c.id for c in DIRECTORY.communities_of("changyang")] == ["xinran", "shiliuqiao", "jiamenkou"]
    assert [c.id for c in DIRECTORY.communities_of("gongchen")] == ["xinggongyuan", "tianxingjie", "xiluyuan"]
    assert DIRECTORY.street_of("tianxingjie") == "gongchen" and DIRECTORY.street_of("street:gongchen") == "gongchen"
    assert DIRECTORY.street_of("atlantis") is None and DIRECTORY.street_of("street:atlantis") is None
    assert DIRECTORY.scope_ids("gongchen") == ["xinggongyuan", "tianxingjie", "xiluyuan", "street:gongchen"]
    assert DIRECTORY.scope_ids(None) == [] and DIRECTORY.scope_ids("atlantis") == []


def test_every_grid_of_the_new_street_has_a_boundary_beside_the_old_ones_without_overlaps():
    features = json.loads((ROOT / "config" / "grids.geojson").read_text(encoding="utf-8"))["features"]
    by_grid = {f["properties"]["grid_id"]: f for f in features}
    assert {g for c in DIRECTORY.communities for g in c.grids} == set(by_grid)
    shapes = {g: shape(f["geometry"]) for g, f in by_grid.items()}
    for grid, polygon in shapes.items():
        assert polygon.is_valid, grid
        assert by_grid[grid]["properties"]["community_id"] == DIRECTORY.community_of_grid(grid).id
        for other, second in shapes.items():
            if grid < other:
                assert polygon.intersection(second).area < 1e-12, (grid, other)
    # 拱辰街道 lies beside 长阳镇: its southern grids share 长阳镇's northern edge.
    assert shapes["xinggongyuan-01"].intersection(shapes["shiliuqiao-02"]).length > 0.01
    assert shapes["xiluyuan-01"].intersection(shapes["jiamenkou-02"]).length > 0.01


def test_departments_are_the_districts_or_a_streets_own():
    assert DIRECTORY.department("gongchen_enforcement").street == "gongchen"
    assert DIRECTORY.department("urban").street is None
    assert "gongchen_enforcement" in {d.id for d in DIRECTORY.departments_for("xiluyuan")}
    assert "gongchen_enforcement" not in {d.id for d in DIRECTORY.departments_for("xinran")}
    assert DIRECTORY.serves("urban", "xinran") and not DIRECTORY.serves("gongchen_enforcement", "xinran")


def test_an_unplaced_filing_waits_in_the_queue_of_the_street_its_address_names():
    def unplaced(address):  # noqa: ANN001, ANN202
        fields = {"community_id": None, "grid_id": None, "latitude": None, "longitude": None, "fallback_community": None}
        return place(DIRECTORY, None, address=address, **fields).community_id

    assert unplaced("拱辰街道政府西侧路口") == "street:gongchen"
    assert unplaced("长阳镇政府对面") == "street:changyang"
    assert unplaced("不知道在哪") == "street:changyang"  # the first street's
    assert DIRECTORY.triage_name("street:gongchen") == "拱辰街道分拨"
    assert DIRECTORY.triage_name("street:changyang") == "长阳镇街道分拨"


def test_a_supervisor_is_scoped_to_their_street_and_leaders_and_admins_to_the_district():
    check_scope(SUP_A, community_id="xinran")
    check_scope(SUP_A, community_id="street:changyang")
    for community in ("xinggongyuan", "street:gongchen", "atlantis"):
        with pytest.raises(Forbidden):
            check_scope(SUP_A, community_id=community)
    with pytest.raises(Forbidden):
        check_scope(SUP_A, department_id="gongchen_enforcement")
    check_scope(SUP_B, department_id="gongchen_enforcement")
    check_scope(SUP_A, department_id="urban")
    nowhere = Principal(sub="s3", role="supervisor")  # a supervisor without a street covers nothing
    with pytest.raises(Forbidden):
        check_scope(nowhere, community_id="xinran")
    assert street_scope(nowhere) == []
    assert street_scope(SUP_B) == ["xinggongyuan", "tianxingjie", "xiluyuan", "street:gongchen"]
    for role in ("leader", "admin"):
        wide = Principal(sub="w", role=role, street_id="gongchen")
        check_scope(wide, community_id="xinran", department_id="gongchen_enforcement")
        assert street_scope(wide) is None and in_street(wide, "xinran")
    staff = Principal(sub="c", role="community_staff", community_id="xinran")
    assert in_street(staff, "xinggongyuan")  # not a supervisor: the community check decides, not this
    with pytest.raises(Forbidden):
        check_scope(staff, community_id="xinggongyuan")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["streets"][1]["communities"].append({"id": "xinran", "name": "重复社区"}), "communities: id 'xinran' appears twice"),
        (lambda d: d["streets"][1]["communities"][0].update(grids=["xinran-01"]), "grid 'xinran-01' already belongs to 'xinran'"),
        (lambda d: d["categories"][0].update(department="moon"), "categories.road.department: unknown department 'moon'"),
        (lambda d: d.update(streets=[]), "streets: the district needs at least one street"),
    ],
)
def test_an_inconsistent_district_is_refused_naming_the_problem(change, message):
    import yaml

    document = yaml.safe_load((ROOT / "config" / "district.yaml").read_text(encoding="utf-8"))
    change(document)
    with pytest.raises(ValidationError) as refused:
        Directory.model_validate(document)
    assert message in str(refused.value)


def test_the_older_one_street_document_still_reads_as_one_street():
    document = {
        "street": {"id": "changyang", "name": "长阳镇"},
        "communities": [{"id": "xinran", "name": "馨然嘉园社区", "grids": ["xinran-01"]}],
        "departments": [{"id": "urban", "name": "城市管理委员会"}],
        "categories": [{"id": "road", "name": "道路破损", "department": "urban"}],
    }
    directory = Directory.model_validate(document)
    assert [s.id for s in directory.streets] == ["changyang"] and directory.street_of("xinran") == "changyang"
    assert directory.triage_scope == "street:changyang"
