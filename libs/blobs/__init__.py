"""Where uploaded bytes live (photos now; wish pictures and resolution evidence later): a `BlobStore` keyed by a
relative path such as "photos/3fa2....jpg", kept in a local directory by default (`LocalBlobStore`, under DATA_DIR)
or in an S3-compatible bucket in production (`S3BlobStore`, boto3). `open_blob_store(settings)` picks one from
BLOB_STORE; nothing connects until the first call."""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from libs.settings import Settings

# A key is a relative path of safe segments: no "..", no leading "/", nothing a shell or a URL would reinterpret.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class BlobNotFound(KeyError):
    """No blob under this key."""


@dataclass(frozen=True)
class Blob:
    data: bytes
    content_type: str


class BlobStore(Protocol):
    """Bytes by key, with the content type they were put with. `put` overwrites; `delete` of a missing key is a no-op."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> Blob: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    """The key if it is a safe relative path (ValueError otherwise): a key never escapes the store."""
    if len(key) > 512 or not _KEY.match(key):
        raise ValueError(f"blob key {key[:80]!r} must be a relative path of letters, digits, '.', '_' and '-'")
    return key


def _check_content_type(content_type: str) -> str:
    if not _CONTENT_TYPE.match(content_type) or len(content_type) > 100:
        raise ValueError(f"content type {content_type[:60]!r} is not a MIME type")
    return content_type


class LocalBlobStore:
    """A directory: `data/<key>` holds the bytes, `types/<key>` the content type. Writes go to a temporary file first
    and are renamed into place, so a reader never sees half a blob."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _paths(self, key: str) -> tuple[Path, Path]:
        check_key(key)
        return self.root / "data" / key, self.root / "types" / key

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, key: str, data: bytes, content_type: str) -> None:
        data_path, type_path = self._paths(key)
        self._write(type_path, _check_content_type(content_type).encode())
        self._write(data_path, bytes(data))

    def get(self, key: str) -> Blob:
        data_path, type_path = self._paths(key)
        try:
            data = data_path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None
        try:
            content_type = type_path.read_text().strip() or DEFAULT_CONTENT_TYPE
        except FileNotFoundError:
            content_type = DEFAULT_CONTENT_TYPE
        return Blob(data, content_type)

    def delete(self, key: str) -> None:
        for path in self._paths(key):
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._paths(key)[0].is_file()


class S3BlobStore:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, OSS/COS in S3 mode) through a boto3 S3 client; `prefix`
    lets several deployments share one bucket."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @staticmethod
    def _missing(exc: Exception) -> bool:
        error = getattr(exc, "response", {}).get("Error", {})
        return str(error.get("Code")) in ("404", "NoSuchKey", "NotFound")

    def ensure_bucket(self) -> None:
        """Create the bucket if it is not there (development and tests; production buckets are provisioned)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=bytes(data), ContentType=_check_content_type(content_type)
        )

    def get(self, key: str) -> Blob:
        from botocore.exceptions import ClientError

        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                raise BlobNotFound(key) from None
            raise
        with reply["Body"] as body:
            return Blob(body.read(), reply.get("ContentType") or DEFAULT_CONTENT_TYPE)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._missing(exc):
                return False
            raise
        return True


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for BLOB_S3_*; without keys boto3's own chain (environment, instance role) is used."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.blob_s3_endpoint_url,
        region_name=settings.blob_s3_region,
        aws_access_key_id=settings.blob_s3_access_key_id,
        aws_secret_access_key=(
            settings.blob_s3_secret_access_key.get_secret_value() if settings.blob_s3_secret_access_key else None
        ),
        config=Config(
            s3={"addressing_style": settings.blob_s3_addressing_style},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def open_blob_store(settings: Settings) -> BlobStore:
    """The store BLOB_STORE names: "local" (BLOB_DIR, default DATA_DIR/blobs) or "s3" (BLOB_S3_BUCKET ...)."""
    if settings.blob_store == "s3":
        store = S3BlobStore(s3_client(settings), settings.blob_s3_bucket or "", settings.blob_s3_prefix)
        if settings.blob_s3_create_bucket:
            store.ensure_bucket()
        return store
    return LocalBlobStore(settings.blob_dir or settings.data_dir / "blobs")


__all__ = [
    "Blob", "BlobNotFound", "BlobStore", "LocalBlobStore", "S3BlobStore", "check_key", "open_blob_store", "s3_client",
]
