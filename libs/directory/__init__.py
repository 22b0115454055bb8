"""The district's reference data, a hierarchy: district → streets (街道/镇) → communities (社区) → grids (网格), with
departments at district or street level and categories (with their default department = the routing rule).

Read from config/district.yaml (`DISTRICT_FILE` overrides), where each street lists its communities and its own
departments. The model keeps flat lists (`communities`, `departments`), each entry naming its street, so a lookup
is one pass and the street of any community is known: the one place scope rules ask (`street_of`)."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, field_validator, model_validator

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "district.yaml"
TRIAGE_PREFIX = "street:"


class Community(BaseModel):
    id: str
    name: str
    street: str = ""  # the street (街道/镇) the community belongs to; filled from the hierarchy
    grids: list[str] = []
    compounds: list[str] = []  # residential compounds (小区) an address may name: placement by address


class Department(BaseModel):
    id: str
    name: str
    street: str | None = None  # None: a district department (区级部门); else the street's own (街道/镇级)


CHINESE = re.compile(r"[\u4e00-\u9fff]")


class Category(BaseModel):
    id: str
    name: str  # what every page shows; a Chinese name is required (a category is never shown by its id)
    department: str | None = None  # None: no default department (e.g. `other`); the community picks one
    urgency: str = "ordinary"

    @field_validator("name")
    @classmethod
    def _chinese_name(cls, name: str) -> str:
        name = name.strip()
        if not CHINESE.search(name):
            raise ValueError(f"每个类别都需要中文名称（name），收到 {name!r}；例如：道路破损")
        return name


class Street(BaseModel):
    id: str
    name: str


class District(BaseModel):
    id: str = "district"
    name: str = "本区"


def _flatten(data: Any) -> Any:
    """The YAML's hierarchy (`streets: [{id, name, communities: [...], departments: [...]}]`, district departments at
    the top) into flat lists whose entries name their street. A document with one `street:` (the older shape) is one
    street holding every community."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    if "street" in data and "streets" not in data:
        data["streets"] = [{**data.pop("street"), "communities": data.pop("communities", [])}]
    streets, communities, departments = [], list(data.get("communities") or []), []
    for street in data.get("streets") or []:
        if not isinstance(street, dict):
            streets.append(street)
            continue
        street = dict(street)
        for community in street.pop("communities", None) or []:
            communities.append({**community, "street": street.get("id")} if isinstance(community, dict) else community)
        for department in street.pop("departments", None) or []:
            departments.append({**department, "street": street.get("id")} if isinstance(department, dict) else department)
        streets.append(street)
    data["streets"], data["communities"] = streets, communities
    data["departments"] = list(data.get("departments") or []) + departments
    return data


class Directory(BaseModel):
    district: District = District()
    streets: list[Street]
    communities: list[Community]
    departments: list[Department]
    categories: list[Category]

    @model_validator(mode="before")
    @classmethod
    def _hierarchy(cls, data: Any) -> Any:
        return _flatten(data)

    @model_validator(mode="after")
    def _consistent(self) -> Directory:
        """Ids unique per kind; every community and street department in a street of the district; a grid in one
        community; a category's default department known."""
        if not self.streets:
            raise ValueError("streets: the district needs at least one street")
        for kind, items in (("streets", self.streets), ("communities", self.communities),
                            ("departments", self.departments), ("categories", self.categories)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"{kind}: id {item.id!r} appears twice")
                seen.add(item.id)
        streets = {s.id for s in self.streets}
        for community in self.communities:
            if community.street not in streets:
                raise ValueError(f"communities.{community.id}.street: unknown street {community.street!r}")
        for department in self.departments:
            if department.street is not None and department.street not in streets:
                raise ValueError(f"departments.{department.id}.street: unknown street {department.street!r}")
        grids: dict[str, str] = {}
        for community in self.communities:
            for grid in community.grids:
                if grid in grids:
                    raise ValueError(f"communities.{community.id}.grids: grid {grid!r} already belongs to {grids[grid]!r}")
                grids[grid] = community.id
        departments = {d.id for d in self.departments}
        for category in self.categories:
            if category.department is not None and category.department not in departments:
                raise ValueError(f"categories.{category.id}.department: unknown department {category.department!r}")
        return self

    # -- lookups -----------------------------------------------------------------------------------------------------

    def street(self, street_id: str | None) -> Street | None:
        return next((s for s in self.streets if s.id == street_id), None)

    def community(self, community_id: str | None) -> Community | None:
        return next((c for c in self.communities if c.id == community_id), None)

    def department(self, department_id: str | None) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def community_of_grid(self, grid_id: str) -> Community | None:
        return next((c for c in self.communities if grid_id in c.grids), None)

    def communities_of(self, street_id: str | None) -> list[Community]:
        return [c for c in self.communities if c.street == street_id]

    # -- streets and their triage queues (街道分拨) --------------------------------------------------------------------

    @property
    def default_street(self) -> Street:
        """The street whose triage queue takes a filing that names no place of any street: the first listed."""
        return self.streets[0]

    @staticmethod
    def triage_scope_of(street_id: str) -> str:
        """The community id of a ticket nothing placed in a community of the street: its triage queue, worked by the
        street's supervisors (`street:<id>`), which no community's staff hold."""
        return f"{TRIAGE_PREFIX}{street_id}"

    @property
    def triage_scope(self) -> str:
        """The default street's triage queue: where a filing that names no place of any street waits."""
        return self.triage_scope_of(self.default_street.id)

    def is_triage(self, community_id: str | None) -> bool:
        return bool(community_id) and community_id.startswith(TRIAGE_PREFIX) and self.street(community_id[len(TRIAGE_PREFIX):]) is not None  # type: ignore[union-attr]

    def street_of(self, community_id: str | None) -> str | None:
        """The street a community (or a street's triage queue) belongs to; None for an unknown id."""
        if community_id and community_id.startswith(TRIAGE_PREFIX):
            street = self.street(community_id[len(TRIAGE_PREFIX):])
            return street.id if street else None
        community = self.community(community_id)
        return community.street if community else None

    def scope_ids(self, street_id: str | None) -> list[str]:
        """Every community id a ticket of the street can carry: its communities and its triage queue."""
        if self.street(street_id) is None:
            return []
        return [c.id for c in self.communities_of(street_id)] + [self.triage_scope_of(street_id)]  # type: ignore[arg-type]

    def triage_street_for(self, address: str | None) -> Street:
        """The street whose triage queue takes an unplaced filing: one whose name its address mentions (the longest
        name wins), else the default street."""
        text = "".join((address or "").split())
        named = [s for s in self.streets if s.name and s.name in text]
        return max(named, key=lambda s: len(s.name)) if named else self.default_street

    def triage_name(self, community_id: str) -> str:
        """街道分拨 queue's Chinese name: 长阳镇街道分拨, 拱辰街道分拨."""
        street = self.street(self.street_of(community_id))
        name = street.name if street else community_id
        return f"{name}分拨" if name.endswith("街道") else f"{name}街道分拨"

    # -- departments at district or street level -----------------------------------------------------------------------

    def departments_for(self, community_id: str | None) -> list[Department]:
        """The departments a ticket of this community may go to: the district's and its own street's."""
        street = self.street_of(community_id)
        return [d for d in self.departments if d.street is None or d.street == street]

    def serves(self, department_id: str, community_id: str | None) -> bool:
        department = self.department(department_id)
        return department is not None and (department.street is None or department.street == self.street_of(community_id))


def load_directory(path: Path | None = None) -> Directory:
    path = path or Path(os.environ.get("DISTRICT_FILE", DEFAULT_FILE))
    return Directory.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def get_directory() -> Directory:
    """The directory in force in this process: the file until an admin publishes a version (libs/directory/live.py)."""
    from libs.directory import live

    return live.current()
