"""The district's reference data (street, communities, grids, departments, categories) from config/district.yaml."""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, field_validator

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "district.yaml"


class Community(BaseModel):
    id: str
    name: str
    grids: list[str] = []
    compounds: list[str] = []  # residential compounds (小区) an address may name: placement by address


class Department(BaseModel):
    id: str
    name: str


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


class Directory(BaseModel):
    street: Street
    communities: list[Community]
    departments: list[Department]
    categories: list[Category]

    def community(self, community_id: str) -> Community | None:
        return next((c for c in self.communities if c.id == community_id), None)

    def department(self, department_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def community_of_grid(self, grid_id: str) -> Community | None:
        return next((c for c in self.communities if grid_id in c.grids), None)

    @property
    def triage_scope(self) -> str:
        """The community id of a ticket nothing placed: the street's triage queue (街道分拨), worked by its supervisors."""
        return f"street:{self.street.id}"

    def is_triage(self, community_id: str | None) -> bool:
        return community_id == self.triage_scope


@lru_cache
def get_directory() -> Directory:
    path = Path(os.environ.get("DISTRICT_FILE", DEFAULT_FILE))
    return Directory.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
