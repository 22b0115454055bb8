"""The S3-compatible BlobStore against a real S3 server started locally (moto's server over HTTP): the same contract
as the local directory, a key prefix, a missing bucket created on request, and settings that pick it."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from libs.blobs import S3BlobStore, open_blob_store
from libs.settings import Settings
from tests.blob_contract import check_blob_store
from tests.s3_server import ACCESS_KEY, SECRET_KEY, s3_endpoint  # noqa: F401 - the fixture


def settings_for(endpoint: str, bucket: str, **extra) -> Settings:
    return Settings(
        blob_store="s3", blob_s3_bucket=bucket, blob_s3_endpoint_url=endpoint, blob_s3_access_key_id=ACCESS_KEY,
        blob_s3_secret_access_key=SECRET_KEY, **extra,
    )


def test_the_s3_store_keeps_bytes_and_content_type_by_key(s3_endpoint):
    store = open_blob_store(settings_for(s3_endpoint, "contract", blob_s3_create_bucket=True))
    assert isinstance(store, S3BlobStore)
    check_blob_store(store)


def test_the_s3_store_writes_under_its_prefix_with_the_content_type_as_s3_metadata(s3_endpoint):
    store = open_blob_store(settings_for(s3_endpoint, "shared", blob_s3_prefix="district-a", blob_s3_create_bucket=True))
    store.put("photos/p1.jpg", b"\xff\xd8jpeg", "image/jpeg")
    raw = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    listed = [o["Key"] for o in raw.list_objects_v2(Bucket="shared").get("Contents", [])]
    assert listed == ["district-a/photos/p1.jpg"]
    head = raw.head_object(Bucket="shared", Key="district-a/photos/p1.jpg")
    assert head["ContentType"] == "image/jpeg" and head["ContentLength"] == 6


def test_a_missing_bucket_is_an_error_unless_creation_is_asked_for(s3_endpoint):
    store = open_blob_store(settings_for(s3_endpoint, "not-there"))
    with pytest.raises(ClientError):
        store.put("photos/p.jpg", b"x", "image/jpeg")
    open_blob_store(settings_for(s3_endpoint, "not-there", blob_s3_create_bucket=True)).put("photos/p.jpg", b"x", "image/jpeg")
