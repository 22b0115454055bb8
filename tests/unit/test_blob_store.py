"""The local-directory BlobStore (the default) and how the store is chosen from settings."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from libs.blobs import LocalBlobStore, S3BlobStore, open_blob_store
from libs.settings import Settings
from tests.blob_contract import check_blob_store


def test_the_local_store_keeps_bytes_and_content_type_by_key(tmp_path: Path) -> None:
    check_blob_store(LocalBlobStore(tmp_path / "blobs"))


def test_a_key_never_reaches_outside_the_local_directory(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put("photos/inside.jpg", b"x", "image/jpeg")
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {"blobs/data/photos/inside.jpg", "blobs/types/photos/inside.jpg"}


def test_a_local_write_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    for n in range(3):
        store.put("photos/p.jpg", bytes([n]) * 1000, "image/jpeg")
    assert sorted(p.name for p in (tmp_path / "data" / "photos").iterdir()) == ["p.jpg"]


def test_the_default_store_is_a_directory_under_data_dir(tmp_path: Path) -> None:
    store = open_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "blobs"
    assert open_blob_store(Settings(data_dir=tmp_path, blob_dir=tmp_path / "elsewhere")).root == tmp_path / "elsewhere"


def test_blob_store_s3_builds_a_client_for_the_configured_endpoint_without_connecting(tmp_path: Path) -> None:
    settings = Settings(
        blob_store="s3", blob_s3_bucket="photos", blob_s3_prefix="whistle/", blob_s3_endpoint_url="http://127.0.0.1:9",
        blob_s3_access_key_id="k", blob_s3_secret_access_key="s",
    )
    store = open_blob_store(settings)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix, store.client.meta.endpoint_url) == ("photos", "whistle/", "http://127.0.0.1:9")


def test_blob_store_s3_without_a_bucket_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="BLOB_S3_BUCKET"):
        Settings(blob_store="s3")
