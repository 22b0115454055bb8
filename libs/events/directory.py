"""Reference-data events (系统设置): an admin publishes a new version of the district's directory (streets,
communities, grids, departments, categories and their routing rule). Config events (topic `config`, key = scope), so
with compaction the latest version stays for ever; every service process follows it (libs/directory/live.py)."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from libs.events.models import ConfigEvent


class DirectoryPublished(ConfigEvent):
    """A new version of the district's directory, whole; `change` says in Chinese what this version changed (e.g.
    新增社区 行宫园社区), so the versions read as the reference data's change log."""

    scope: str = "directory"
    directory_version: int
    document: dict[str, Any]
    change: str = Field(min_length=1, max_length=300)
