"""What every BlobStore backend must do, checked the same way against each (local directory, S3-compatible)."""
from __future__ import annotations

import pytest

from libs.blobs import BlobNotFound, BlobStore


def check_blob_store(store: BlobStore) -> None:
    """put / get / exists / delete by key, with the content type kept; a missing key is BlobNotFound, a bad key refused."""
    assert not store.exists("photos/a1.jpg")
    with pytest.raises(BlobNotFound):
        store.get("photos/a1.jpg")

    store.put("photos/a1.jpg", b"\xff\xd8first", "image/jpeg")
    assert store.exists("photos/a1.jpg")
    got = store.get("photos/a1.jpg")
    assert (got.data, got.content_type) == (b"\xff\xd8first", "image/jpeg")

    store.put("photos/a1.jpg", b"\x89PNGsecond", "image/png")  # put overwrites, type included
    got = store.get("photos/a1.jpg")
    assert (got.data, got.content_type) == (b"\x89PNGsecond", "image/png")

    store.put("photos/a2.thumb.jpg", bytes(range(256)) * 40, "image/jpeg")  # binary, not only text
    assert store.get("photos/a2.thumb.jpg").data == bytes(range(256)) * 40

    store.delete("photos/a1.jpg")
    assert not store.exists("photos/a1.jpg")
    with pytest.raises(BlobNotFound):
        store.get("photos/a1.jpg")
    store.delete("photos/a1.jpg")  # deleting what is gone is a no-op
    assert store.exists("photos/a2.thumb.jpg")  # a neighbour is untouched

    for bad in ("../escape", "/etc/passwd", "photos/../../x", "photos//x", "", ".hidden", "photos/a b.jpg"):
        with pytest.raises(ValueError):
            store.put(bad, b"x", "image/jpeg")
        with pytest.raises(ValueError):
            store.get(bad)
    with pytest.raises(ValueError):
        store.put("photos/ok.jpg", b"x", "not a type\r\nX-Injected: 1")
