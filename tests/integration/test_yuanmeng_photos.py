"""圆梦 photos on PostgreSQL and Kafka: intake takes a volunteer's upload; when the volunteer records the fulfilment
with it, intake links it to the wish's ticket, so the wisher and the community's staff see it, while a neighbour,
another community's staff and a photo someone else uploaded stay out."""
from __future__ import annotations

import pytest

from tests.integration.conftest import bearer, eventually
from tests.integration.test_wishes_service import STAFF, WISHER, file_wish, volunteer
from tests.photo_samples import jpeg_with_exif

NEIGHBOUR = bearer("resident", "m-photo-neighbour", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-photo-other", community_id="shiliuqiao")
RESIDENT_UPLOADER = bearer("resident", "m-photo-uploader", community_id="xinran")


@pytest.fixture(scope="module")
def services(tmp_path_factory, service_clients):
    return service_clients


def _upload(intake, headers) -> str:
    made = intake.post("/attachments", files=[("files", ("a.jpg", jpeg_with_exif(), "image/jpeg"))], headers=headers)
    assert made.status_code == 201, made.text
    return made.json()["photos"][0]["url"]


def test_a_volunteers_yuanmeng_photo_is_seen_by_the_wisher_and_the_communitys_staff_only(services):
    intake, wishes = services["intake"], services["wishes"]
    helper = volunteer(wishes, "vol-photo", name="周芳")
    own, foreign = _upload(intake, helper), _upload(intake, RESIDENT_UPLOADER)
    wish_id = file_wish(intake, wishes, title="想请人帮忙贴春联")
    assert wishes.post(f"/wishes/{wish_id}/approve", json={}, headers=STAFF).status_code == 200
    assert wishes.post(f"/wishes/{wish_id}/claim", headers=helper).status_code == 200
    done = wishes.post(f"/wishes/{wish_id}/fulfil", json={"note": "已贴好", "hours": 1, "photos": [own, foreign]}, headers=helper)
    assert done.status_code == 200, done.text

    assert eventually(lambda: intake.get(own, headers=WISHER).status_code == 200)
    assert intake.get(own, headers=STAFF).status_code == 200
    assert intake.get(own, headers=helper).status_code == 200  # the uploader
    assert intake.get(own, headers=NEIGHBOUR).status_code == 404
    assert intake.get(own, headers=OTHER_STAFF).status_code == 404
    assert intake.get(foreign, headers=WISHER).status_code == 404  # someone else's photo named in a fulfilment
