"""Chinese names of the scopes the dashboard counts in (communities, grids, departments, categories, channels, kinds,
places), for rankings, exports and the page."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from libs.directory import get_directory

GRIDS_FILE = Path(__file__).resolve().parents[2] / "config" / "grids.geojson"
CHANNELS = {"web": "网页", "h5": "H5", "sms": "短信", "wechat": "微信", "hotline": "12345热线", "grid": "网格员",
            "open311": "Open311", "unknown": "未记录"}
KINDS = {"problem": "诉求", "wish": "微心愿", "hazard": "隐患随手拍", "consultation": "咨询", "suggestion": "建议",
         "unknown": "未记录"}
DIMENSIONS = {"community": "社区", "grid": "网格", "department": "部门", "category": "类别", "channel": "渠道",
              "kind": "类型", "place": "地点"}


@lru_cache(maxsize=1)
def grid_names() -> dict[str, str]:
    path = Path(os.environ.get("GRIDS_FILE") or GRIDS_FILE)
    try:
        features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    except (OSError, ValueError):
        return {}
    return {f["properties"]["grid_id"]: f["properties"].get("name") or f["properties"]["grid_id"] for f in features}


def scope_name(scope: str) -> str:
    """区（全部）, a community's, grid's, department's or category's Chinese name; an unknown id shown with it."""
    if scope == "all":
        return "全区"
    kind, _, key = scope.partition(":")
    directory = get_directory()
    if kind == "community":
        found = directory.community(key)
        return found.name if found else f"未命名社区（{key}）"
    if kind == "triage":
        return "街道分拨（待分派）"
    if kind == "department":
        found = directory.department(key)
        return found.name if found else f"未命名部门（{key}）"
    if kind == "category":
        found = directory.category(key)
        return found.name if found else f"未命名类别（{key}）"
    if kind == "grid":
        return grid_names().get(key, f"网格 {key}")
    if kind == "channel":
        return CHANNELS.get(key, key)
    if kind == "kind":
        return KINDS.get(key, key)
    if kind == "place":
        if key.startswith("@"):
            return f"坐标 {key[1:]} 附近"
        community_id, _, compound = key.partition("/")
        found = directory.community(community_id)
        return f"{found.name if found else community_id} · {compound}"
    return scope
