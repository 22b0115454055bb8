"""系统设置 · 基础数据: what one form changes in the directory document (a street, a community with its grids and
compounds, a department at district or street level, a category with its default department = the routing rule).
Pure functions: each takes the current document and the form's fields and returns the next document and the change
log's line, or raises FormInvalid naming every wrong field in Chinese."""
from __future__ import annotations

import copy
import re
from typing import Any

ID = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
URGENCIES = {"emergency": "紧急", "urgent": "急", "ordinary": "一般", "complex": "疑难"}
KINDS = {"street": "街道", "community": "社区", "department": "部门", "category": "类别"}
SEPARATORS = re.compile(r"[\s,，、;；]+")


class FormInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


def _words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in SEPARATORS.split(text or "") if w))


def _find(items: list[dict[str, Any]], item_id: str) -> dict[str, Any] | None:
    return next((x for x in items if x.get("id") == item_id), None)


def _check_common(fields: dict[str, str], errors: dict[str, str]) -> tuple[str, str]:
    item_id, name = (fields.get("id") or "").strip(), (fields.get("name") or "").strip()
    if not ID.match(item_id):
        errors["id"] = "编号：请用 2–40 位小写字母、数字、下划线或连字符，以字母开头（如 xiluyuan）"
    if not name or len(name) > 80:
        errors["name"] = "名称：请填写名称（最多 80 字）"
    return item_id, name


def change(document: dict[str, Any], kind: str, fields: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The next document with the form's entry added, or updated when its id exists; and the change log's line."""
    if kind not in KINDS:
        raise FormInvalid({"kind": "未知的基础数据类型"})
    doc = copy.deepcopy(document)
    for key in ("streets", "communities", "departments", "categories"):
        doc.setdefault(key, [])
    errors: dict[str, str] = {}
    item_id, name = _check_common(fields, errors)
    streets = {s["id"] for s in doc["streets"]}
    departments = {d["id"] for d in doc["departments"]}
    if kind == "street":
        entry: dict[str, Any] = {"id": item_id, "name": name}
        items = doc["streets"]
    elif kind == "community":
        street = (fields.get("street") or "").strip()
        if street not in streets:
            errors["street"] = "所属街道：请选择所属街道"
        grids = _words(fields.get("grids", ""))
        for grid in grids:
            if not ID.match(grid):
                errors["grids"] = f"网格编号：{grid} 不合规，请用小写字母、数字、连字符（如 xiluyuan-01）"
                break
            owner = next((c for c in doc["communities"] if grid in (c.get("grids") or []) and c.get("id") != item_id), None)
            if owner:
                errors["grids"] = f"网格编号：{grid} 已属于{owner.get('name', owner['id'])}"
                break
        entry = {"id": item_id, "name": name, "street": street, "grids": grids, "compounds": _words(fields.get("compounds", ""))}
        items = doc["communities"]
        old = _find(items, item_id)
        if old:  # a grid can move but never disappear (tickets name it)
            lost = [g for g in old.get("grids") or [] if g not in grids]
            if lost:
                errors["grids"] = f"网格编号：不能删除已有网格 {lost[0]}（工单记录中有它），可移到其他社区"
    elif kind == "department":
        street = (fields.get("street") or "").strip() or None
        if street is not None and street not in streets:
            errors["street"] = "层级：请选择区级或某个街道"
        entry = {"id": item_id, "name": name, "street": street}
        items = doc["departments"]
    else:
        department = (fields.get("department") or "").strip() or None
        if department is not None and department not in departments:
            errors["department"] = "默认承办部门：请选择一个部门，或选“不指定”"
        urgency = (fields.get("urgency") or "ordinary").strip()
        if urgency not in URGENCIES:
            errors["urgency"] = "紧急程度：请选择紧急程度"
        if name and not re.search(r"[\u4e00-\u9fff]", name):
            errors["name"] = "名称：类别需要中文名称（如 道路破损）"
        entry = {"id": item_id, "name": name, "department": department, "urgency": urgency}
        items = doc["categories"]
    if errors:
        raise FormInvalid(errors)
    old = _find(items, item_id)
    if old is None:
        items.append(entry)
        line = f"新增{KINDS[kind]} {name}（{item_id}）"
    else:
        old.update(entry)
        line = f"修改{KINDS[kind]} {name}（{item_id}）"
    if kind == "category":
        line += f"，默认承办部门：{entry['department'] or '不指定'}"
    return doc, line
