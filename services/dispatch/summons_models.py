"""吹哨报到's request body on dispatch (the answer is the ticket, whose `summons` list shows the new one)."""
from __future__ import annotations

from pydantic import ConfigDict
from sqlmodel import Field, SQLModel


class SummonsRequest(SQLModel):
    """吹哨: the lead department (default: the department holding the ticket, else the proposed one), co-departments,
    the place (default: the ticket's position and address) and the reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "lead_department_id": "housing", "co_department_ids": ["urban", "water"], "reason": "涉及多个部门，需现场联合处置",
        }]},
    )
    lead_department_id: str | None = Field(default=None, min_length=1, max_length=40)
    co_department_ids: list[str] = Field(min_length=1, max_length=8)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=200)
    reason: str = Field(min_length=2, max_length=500)
