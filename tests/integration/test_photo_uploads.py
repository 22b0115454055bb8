"""Photos through intake on real PostgreSQL and Kafka: an upload is checked by its content and kept without EXIF, its
GPS position comes back as a suggestion the filing may take, bad uploads are refused with nothing stored, and a photo
is served only to the uploader and to those who may see a ticket that names it (never to another resident)."""
from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlmodel import Session

from services.intake.attachments import IntakeAttachment, IntakeAttachmentLink
from tests.integration.conftest import bearer, eventually
from tests.photo_samples import SCRIPT, jpeg_with_exif, png, webp

RESIDENT = bearer("resident", "r-photo", community_id="xinran")
NEIGHBOUR = bearer("resident", "r-photo-2", community_id="xinran")  # same community, another person
GRID = bearer("grid_worker", "g-photo", community_id="xinran", grid_ids=["xinran-02"])  # patrols another grid
COMMUNITY_GRID = bearer("grid_worker", "g-photo-3", community_id="xinran")  # no grids given: the whole community
XINRAN_STAFF = bearer("community_staff", "s-photo", community_id="xinran")
OTHER_STAFF = bearer("community_staff", "s-photo-2", community_id="shiliuqiao")
URBAN = bearer("department_staff", "d-photo", department_id="urban")
WATER = bearer("department_staff", "d-photo-2", department_id="water")
LEADER = bearer("leader", "l-photo")
MB = 1024 * 1024


@pytest.fixture(scope="module")
def blob_dir(tmp_path_factory: pytest.TempPathFactory):
    """Blobs of this module's intake in a directory of their own (set before the services start)."""
    path = tmp_path_factory.mktemp("blobs")
    mp = pytest.MonkeyPatch()
    mp.setenv("BLOB_STORE", "local")
    mp.setenv("BLOB_DIR", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def services(blob_dir, service_clients):
    return service_clients


def upload(client, files: list[tuple[str, bytes, str]], headers=RESIDENT):
    return client.post("/attachments", files=[("files", f) for f in files], headers=headers)


def file_ticket(client, headers=RESIDENT, **body):
    base = {"kind": "hazard", "title": "井盖缺失", "description": "3号楼东侧雨水井盖缺失", "category": "road", "community_id": "xinran"}
    return client.post("/tickets", json={**base, **body}, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})


def stored(client, blob_dir: Path) -> tuple[int, int, int]:
    """(attachment rows, ticket links, blob files) intake holds."""
    with Session(client.app.state.runtime.engine) as session:
        rows = session.execute(select(func.count()).select_from(IntakeAttachment)).scalar_one()
        links = session.execute(select(func.count()).select_from(IntakeAttachmentLink)).scalar_one()
    return rows, links, sum(1 for p in blob_dir.rglob("*") if p.is_file())


def test_a_phone_photo_is_kept_without_exif_and_its_gps_comes_back_as_a_suggested_location(services, blob_dir):
    intake = services["intake"]
    made = upload(intake, [("IMG_0001.jpg", jpeg_with_exif(39.7511, 116.1402), "image/jpeg")])
    assert made.status_code == 201, made.text
    reply = made.json()
    (photo,) = reply["photos"]
    assert photo["url"] == f"/attachments/{photo['id']}.jpg"
    assert photo["thumbnail_url"] == f"/attachments/{photo['id']}/thumbnail.jpg"
    assert photo["suggested_location"] == pytest.approx({"latitude": 39.7511, "longitude": 116.1402}, abs=1e-5)
    assert reply["suggested_location"] == photo["suggested_location"]

    full = intake.get(photo["url"], headers=RESIDENT)
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert full.headers["x-content-type-options"] == "nosniff" and "private" in full.headers["cache-control"]
    image = Image.open(io.BytesIO(full.content))
    assert image.format == "JPEG" and image.size == (1200, 800) and not image.getexif()
    assert b"AcmePhone" not in full.content and b"Exif" not in full.content
    thumbnail = intake.get(photo["thumbnail_url"], headers=RESIDENT)
    assert thumbnail.status_code == 200 and max(Image.open(io.BytesIO(thumbnail.content)).size) == 320
    kept = {p.relative_to(blob_dir).as_posix() for p in (blob_dir / "data").rglob("*") if p.is_file()}
    assert {f"data/photos/{photo['id']}.jpg", f"data/photos/{photo['id']}.thumb.jpg"} <= kept
    for path in (blob_dir / "data" / "photos").glob(f"{photo['id']}*"):
        assert b"AcmePhone" not in path.read_bytes()  # nothing of the original file is on disk either


def test_png_and_webp_are_kept_as_jpeg_and_several_photos_go_up_at_once(services):
    made = upload(services["intake"], [("a.png", png(), "image/png"), ("b.webp", webp(), "image/webp")])
    assert made.status_code == 201, made.text
    photos = made.json()["photos"]
    assert [p["content_type"] for p in photos] == ["image/jpeg", "image/jpeg"]
    assert made.json()["suggested_location"] is None  # neither says where it was taken
    got = services["intake"].get(photos[0]["url"], headers=RESIDENT)
    assert Image.open(io.BytesIO(got.content)).format == "JPEG"


def test_the_suggested_location_is_the_tickets_only_when_the_filing_sends_it(services):
    intake = services["intake"]
    photo = upload(intake, [("p.jpg", jpeg_with_exif(39.7511, 116.1402), "image/jpeg")]).json()["photos"][0]
    declined = file_ticket(intake, attachments=[photo["url"]])
    assert declined.status_code == 201, declined.text
    assert (declined.json()["latitude"], declined.json()["longitude"]) == (None, None)

    photo = upload(intake, [("p.jpg", jpeg_with_exif(39.7511, 116.1402), "image/jpeg")]).json()["photos"][0]
    location = photo["suggested_location"]
    agreed = file_ticket(intake, attachments=[photo["url"]], **location)
    assert agreed.status_code == 201, agreed.text
    assert (agreed.json()["latitude"], agreed.json()["longitude"]) == (location["latitude"], location["longitude"])
    assert agreed.json()["attachments"] == [photo["url"]]


@pytest.mark.parametrize(
    ("files", "status", "says"),
    [
        ([("photo.jpg", SCRIPT, "image/jpeg")], 422, "'photo.jpg' is not accepted: the file is not a JPEG, PNG or WebP"),
        ([("big.jpg", jpeg_with_exif() + b"\0" * (30 * MB), "image/jpeg")], 413, "a photo may be at most 10.0 MB"),
        ([(f"p{n}.jpg", jpeg_with_exif(size=(64, 48)), "image/jpeg") for n in range(10)], 422, "10 photos; at most 9"),
        ([("ok.jpg", jpeg_with_exif(), "image/jpeg"), ("evil.jpg", SCRIPT, "image/jpeg")], 422, "'evil.jpg' is not"),
        ([("half.jpg", jpeg_with_exif()[:2000], "image/jpeg")], 422, "'half.jpg' is not accepted"),
    ],
    ids=["script-renamed-jpg", "30-MB", "10-photos", "one-bad-among-good", "truncated"],
)
def test_a_bad_upload_is_refused_naming_the_field_and_nothing_is_stored(services, blob_dir, files, status, says):
    intake = services["intake"]
    before = stored(intake, blob_dir)
    refused = upload(intake, files)
    assert refused.status_code == status, refused.text
    detail = refused.json()["detail"]
    assert detail.startswith("files:") and says in detail
    assert stored(intake, blob_dir) == before


def test_an_upload_without_a_file_is_refused_naming_the_field(services, blob_dir):
    intake = services["intake"]
    before = stored(intake, blob_dir)
    for refused in (
        intake.post("/attachments", data={"files": "not a file"}, headers=RESIDENT),
        intake.post("/attachments", json={"files": []}, headers=RESIDENT),
        intake.post("/attachments", files=[("other", ("a.jpg", jpeg_with_exif(), "image/jpeg"))], headers=RESIDENT),
    ):
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"].startswith("files:")
    assert stored(intake, blob_dir) == before


def test_a_filing_with_ten_photos_is_refused_and_files_nothing(services, blob_dir):
    intake = services["intake"]
    urls = [p["url"] for p in upload(intake, [(f"{n}.jpg", jpeg_with_exif(size=(64, 48)), "image/jpeg") for n in range(9)]).json()["photos"]]
    urls.append(upload(intake, [("9.jpg", jpeg_with_exif(size=(64, 48)), "image/jpeg")]).json()["photos"][0]["url"])
    tickets = len(intake.get("/tickets/mine", headers=RESIDENT).json())
    before = stored(intake, blob_dir)
    refused = file_ticket(intake, attachments=urls)
    assert refused.status_code == 422
    assert any(e["loc"][-1] == "attachments" for e in refused.json()["detail"])
    assert len(intake.get("/tickets/mine", headers=RESIDENT).json()) == tickets
    assert stored(intake, blob_dir) == before
    assert file_ticket(intake, attachments=urls[:9]).status_code == 201  # nine is the limit, not eight


def test_naming_someone_elses_photo_in_a_filing_is_refused_and_does_not_open_it(services, blob_dir):
    intake = services["intake"]
    mine = upload(intake, [("p.jpg", jpeg_with_exif(), "image/jpeg")]).json()["photos"][0]
    tickets = len(intake.get("/tickets/mine", headers=NEIGHBOUR).json())
    for ref in (mine["url"], f"/attachments/{uuid.uuid4().hex}.jpg", "/attachments/../../etc/passwd.jpg"):
        refused = file_ticket(intake, NEIGHBOUR, attachments=[ref])
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"].startswith("attachments:")
    assert len(intake.get("/tickets/mine", headers=NEIGHBOUR).json()) == tickets
    assert intake.get(mine["url"], headers=NEIGHBOUR).status_code == 404


def test_a_photo_is_seen_by_the_ticket_s_people_and_nobody_else(services):
    intake, dispatch = services["intake"], services["dispatch"]
    photo = upload(intake, [("p.jpg", jpeg_with_exif(), "image/jpeg")]).json()["photos"][0]
    urls = (photo["url"], photo["thumbnail_url"])

    def status_for(headers) -> set[int]:
        return {intake.get(url, headers=headers).status_code for url in urls}

    # Not yet in a ticket: the uploader's alone.
    assert status_for(RESIDENT) == {200}
    for other in (NEIGHBOUR, XINRAN_STAFF, URBAN):
        assert status_for(other) == {404}

    filed = file_ticket(intake, attachments=[photo["url"]], community_id="xinran")
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    assert status_for(XINRAN_STAFF) == {200} and status_for(LEADER) == {200}
    for other in (NEIGHBOUR, OTHER_STAFF, URBAN, WATER, GRID):  # another resident, community, department, grid
        assert status_for(other) == {404}
    assert status_for(COMMUNITY_GRID) == {200}  # a grid worker without grids works the whole community
    assert {intake.get(url).status_code for url in urls} == {401}
    assert intake.post("/attachments", files=[("files", ("p.jpg", jpeg_with_exif(), "image/jpeg"))], headers=URBAN).status_code == 403

    eventually(lambda: dispatch.get(f"/tickets/{ticket_id}", headers=XINRAN_STAFF).status_code == 200)
    sent = dispatch.post(f"/tickets/{ticket_id}/dispatch", json={"department_id": "urban"}, headers=XINRAN_STAFF)
    assert sent.status_code == 200, sent.text
    eventually(lambda: status_for(URBAN) == {200})  # once intake has seen TicketDispatched
    assert status_for(WATER) == {404} and status_for(NEIGHBOUR) == {404}


def test_a_grid_workers_photos_travel_with_the_filing_to_the_console(services):
    intake, dispatch = services["intake"], services["dispatch"]
    photos = upload(intake, [("a.jpg", jpeg_with_exif(39.75, 116.14), "image/jpeg")], headers=GRID).json()
    urls = [p["url"] for p in photos["photos"]]
    filed = file_ticket(intake, GRID, channel="grid", attachments=urls, verified_on_site=True, **photos["suggested_location"])
    assert filed.status_code == 201, filed.text

    def in_console():
        found = dispatch.get(f"/tickets/{filed.json()['id']}", headers=XINRAN_STAFF)
        return found.json() if found.status_code == 200 else None

    assert eventually(in_console)["attachments"] == urls
    assert intake.get(urls[0], headers=XINRAN_STAFF).status_code == 200


def test_photos_never_filed_are_purged_by_an_admin_and_filed_ones_are_kept(services, blob_dir):
    """Last in this module: it purges every photo of this module that no ticket names."""
    intake = services["intake"]
    abandoned = upload(intake, [("a.jpg", jpeg_with_exif(), "image/jpeg")]).json()["photos"][0]
    filed = upload(intake, [("f.jpg", jpeg_with_exif(), "image/jpeg")]).json()["photos"][0]
    assert file_ticket(intake, attachments=[filed["url"]]).status_code == 201
    assert intake.delete("/attachments/unfiled", headers=RESIDENT).status_code == 403
    kept = intake.delete("/attachments/unfiled", headers=bearer("admin", "admin-photo"))  # default: a day old only
    assert kept.status_code == 200 and kept.json() == {"removed": 0}

    purged = intake.delete("/attachments/unfiled", params={"older_than_hours": 0}, headers=bearer("admin", "admin-photo"))
    assert purged.status_code == 200 and purged.json()["removed"] >= 1
    assert intake.get(abandoned["url"], headers=RESIDENT).status_code == 404
    assert not list(blob_dir.rglob(f"{abandoned['id']}*"))
    assert intake.get(filed["url"], headers=RESIDENT).status_code == 200
    rows, links, files = stored(intake, blob_dir)
    assert files == 4 * rows  # every photo left is named by a ticket, with its bytes and thumbnail (and their types)
