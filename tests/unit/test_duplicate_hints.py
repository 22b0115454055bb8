"""疑似重复: an open ticket of the same community and category within the radius (haversine) and the time window."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.dispatch.duplicates import Filing, bounding_box, haversine_m, match

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
HERE = (39.7520, 116.1400)
M_PER_DEG_LAT = 111_195.0  # on the mean sphere


def filing(id_: str = "T-new", *, lat: float | None = HERE[0], lon: float | None = HERE[1], hours: float = 0.0,
           category: str = "road", community: str = "xinran", open_: bool = True) -> Filing:
    return Filing(id_, community, category, lat, lon, T0 + timedelta(hours=hours), open_)


def near(meters_north: float = 0.0, **kw) -> Filing:
    kw.setdefault("lat", HERE[0] + meters_north / M_PER_DEG_LAT)
    return filing("T-old", **kw)


def hint(new: Filing, old: Filing):
    return match(new, old, radius_m=200, window_hours=48)


def test_haversine_measures_known_distances():
    assert haversine_m(*HERE, *HERE) == 0
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)  # one degree of latitude
    assert haversine_m(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)  # Beijing-Shanghai
    assert haversine_m(*HERE, HERE[0], HERE[1] + 0.001) == pytest.approx(85.6, abs=0.5)  # a thousandth of longitude here


def test_an_open_ticket_of_the_same_category_150_m_away_a_day_earlier_is_hinted():
    found = hint(filing(), near(150, hours=-24))
    assert found is not None and found.candidate_id == "T-old"
    assert found.distance_m == pytest.approx(150, abs=0.5) and found.hours_apart == 24


@pytest.mark.parametrize(
    ("old", "why"),
    [
        (near(250), "too far"),
        (near(150, hours=-49), "too long ago"),
        (near(10, category="garbage"), "another category"),
        (near(10, community="shiliuqiao"), "another community"),
        (near(10, open_=False), "closed or merged"),
        (near(lat=None, lon=None), "no coordinates"),
    ],
)
def test_what_is_not_a_duplicate(old, why):
    assert hint(filing(), old) is None, why


def test_the_edges_of_radius_and_window_count_as_inside():
    assert hint(filing(), near(199.5)) is not None
    assert hint(filing(), near(0, hours=-48)) is not None
    assert hint(filing(), near(0, hours=48)) is not None  # filed apart either way round


def test_a_new_ticket_without_coordinates_is_never_hinted():
    assert hint(filing(lat=None, lon=None), near(0)) is None


def test_a_ticket_is_not_its_own_duplicate():
    assert hint(filing(), filing()) is None


def test_the_radius_and_window_are_configurable():
    assert match(filing(), near(450), radius_m=500, window_hours=48) is not None
    assert match(filing(), near(0, hours=-3), radius_m=200, window_hours=2) is None


def test_the_bounding_box_holds_the_whole_circle():
    min_lat, max_lat, min_lon, max_lon = bounding_box(*HERE, 200)
    for bearing_point in ((HERE[0] + 200 / M_PER_DEG_LAT, HERE[1]), (HERE[0], HERE[1] + 0.00234)):  # north; ~200 m east
        assert min_lat <= bearing_point[0] <= max_lat and min_lon <= bearing_point[1] <= max_lon
    assert haversine_m(*HERE, HERE[0], max_lon) >= 200
