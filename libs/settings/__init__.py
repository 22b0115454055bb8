"""Process settings from the environment (pydantic-settings); refuses default secrets in production."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "whistle-dev-secret-change-me-in-production"

SERVICE_PORTS = {
    "portal": 8000,
    "intake": 8001,
    "dispatch": 8002,
    "department": 8003,
    "feedback": 8004,
    "dashboard": 8005,
    "wishes": 8006,
    "notify": 8007,
}


class Settings(BaseSettings):
    """Everything a Whistle process reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    env: str = "development"  # WHISTLE_ENV
    jwt_secret: str = DEV_SECRET
    jwt_ttl_seconds: int = 12 * 3600
    kafka_bootstrap: str = "127.0.0.1:9092"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "ticket-lifecycle"
    database_url: str | None = None
    data_dir: Path = Path(".data")
    topic_prefix: str = ""
    # SLA policy file new tickets start with (admins publish later versions via the dispatch admin API).
    sla_policy_file: Path | None = None
    # Workflows the lifecycle worker keeps in memory (measured ~0.35 MB each); size it to the open tickets.
    worker_max_cached_workflows: int = 10000
    outbox_poll_seconds: float = 0.05
    # Days an applied event's inbox row is kept: it must outlive any redelivery, so longer than the topics' retention
    # (deploy/kafka: 7 days) and than a dead letter may wait before it is re-driven. Older rows are purged hourly.
    inbox_keep_days: int = Field(30, ge=8)
    intake_url: str = f"http://127.0.0.1:{SERVICE_PORTS['intake']}"
    dispatch_url: str = f"http://127.0.0.1:{SERVICE_PORTS['dispatch']}"
    department_url: str = f"http://127.0.0.1:{SERVICE_PORTS['department']}"
    feedback_url: str = f"http://127.0.0.1:{SERVICE_PORTS['feedback']}"
    dashboard_url: str = f"http://127.0.0.1:{SERVICE_PORTS['dashboard']}"
    wishes_url: str = f"http://127.0.0.1:{SERVICE_PORTS['wishes']}"
    notify_url: str = f"http://127.0.0.1:{SERVICE_PORTS['notify']}"
    # Uploaded photos (libs/blobs): a local directory (BLOB_DIR, default DATA_DIR/blobs) or an S3-compatible bucket.
    blob_store: Literal["local", "s3"] = "local"
    blob_dir: Path | None = None
    blob_s3_bucket: str | None = None
    blob_s3_prefix: str = ""
    blob_s3_endpoint_url: str | None = None  # MinIO, Ceph, OSS/COS; None: AWS
    blob_s3_region: str = "us-east-1"
    blob_s3_access_key_id: str | None = None  # None: boto3's own chain (environment, instance role)
    blob_s3_secret_access_key: SecretStr | None = None
    blob_s3_addressing_style: Literal["auto", "path", "virtual"] = "path"
    blob_s3_create_bucket: bool = False  # development and tests only
    photo_max_bytes: int = 10 * 1024 * 1024  # one uploaded photo, before re-encoding

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> "Settings":
        if self.env == "production" and self.jwt_secret == DEV_SECRET:
            raise ValueError("JWT_SECRET must be set to a real secret when WHISTLE_ENV=production")
        if self.blob_store == "s3" and not self.blob_s3_bucket:
            raise ValueError("BLOB_S3_BUCKET must name the bucket when BLOB_STORE=s3")
        return self

    def database_url_for(self, service: str) -> str:
        """Per-service DB: <SERVICE>_DATABASE_URL, else DATABASE_URL with the database name suffixed, else SQLite."""
        own = os.environ.get(f"{service.upper()}_DATABASE_URL")
        if own:
            return own
        if self.database_url:
            base, _, name = self.database_url.rpartition("/")
            return f"{base}/{name or 'whistle'}_{service}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process; WHISTLE_ENV maps to env."""
    env = os.environ.get("WHISTLE_ENV")
    return Settings(env=env) if env else Settings()
