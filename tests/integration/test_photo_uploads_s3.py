"""Intake with BLOB_STORE=s3 against a local S3 server (moto over HTTP): an uploaded photo and its thumbnail land in
the bucket without EXIF and are served back from it; a refused upload puts nothing in the bucket."""
from __future__ import annotations

import importlib
import uuid

import boto3
import pytest
from fastapi.testclient import TestClient

from libs.settings import get_settings
from tests.integration.conftest import bearer
from tests.photo_samples import SCRIPT, jpeg_with_exif
from tests.s3_server import ACCESS_KEY, SECRET_KEY, s3_endpoint  # noqa: F401 - the fixture

RESIDENT = bearer("resident", "r-s3", community_id="xinran")
BUCKET = "whistle-photos"


@pytest.fixture(scope="module")
def intake(s3_endpoint, postgres_url, kafka_bootstrap):  # noqa: F811
    """Intake alone, its photos in the S3 server's bucket under a prefix."""
    mp = pytest.MonkeyPatch()
    run = uuid.uuid4().hex[:6]
    base, _, name = postgres_url.rpartition("/")
    for key, value in {
        "DATABASE_URL": f"{base}/{name}_s3{run}", "KAFKA_BOOTSTRAP": kafka_bootstrap, "TOPIC_PREFIX": f"s3{run}.",
        "BLOB_STORE": "s3", "BLOB_S3_BUCKET": BUCKET, "BLOB_S3_PREFIX": "district", "BLOB_S3_ENDPOINT_URL": s3_endpoint,
        "BLOB_S3_ACCESS_KEY_ID": ACCESS_KEY, "BLOB_S3_SECRET_ACCESS_KEY": SECRET_KEY, "BLOB_S3_CREATE_BUCKET": "true",
    }.items():
        mp.setenv(key, value)
    get_settings.cache_clear()
    client = TestClient(importlib.import_module("services.intake.app").create_app())
    client.__enter__()
    try:
        yield client
    finally:
        client.__exit__(None, None, None)
        mp.undo()
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def bucket(s3_endpoint):  # noqa: F811
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
    )

    def keys() -> set[str]:
        try:
            return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
        except s3.exceptions.NoSuchBucket:
            return set()

    return s3, keys


def test_an_uploaded_photo_is_kept_in_the_bucket_without_exif_and_served_from_it(intake, bucket):
    s3, keys = bucket
    made = intake.post("/attachments", files=[("files", ("p.jpg", jpeg_with_exif(), "image/jpeg"))], headers=RESIDENT)
    assert made.status_code == 201, made.text
    photo = made.json()["photos"][0]
    assert {f"district/photos/{photo['id']}.jpg", f"district/photos/{photo['id']}.thumb.jpg"} <= keys()
    stored = s3.get_object(Bucket=BUCKET, Key=f"district/photos/{photo['id']}.jpg")
    assert stored["ContentType"] == "image/jpeg"
    body = stored["Body"].read()
    assert b"AcmePhone" not in body and b"Exif" not in body
    served = intake.get(photo["url"], headers=RESIDENT)
    assert served.status_code == 200 and served.content == body
    assert intake.get(photo["url"], headers=bearer("resident", "r-s3-other", community_id="xinran")).status_code == 404


def test_a_refused_upload_puts_nothing_in_the_bucket(intake, bucket):
    _, keys = bucket
    before = keys()
    refused = intake.post(
        "/attachments",
        files=[("files", ("ok.jpg", jpeg_with_exif(), "image/jpeg")), ("files", ("evil.jpg", SCRIPT, "image/jpeg"))],
        headers=RESIDENT,
    )
    assert refused.status_code == 422 and refused.json()["detail"].startswith("files:")
    assert keys() == before
