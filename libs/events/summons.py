"""吹哨报到 events: the community summons departments to a ticket's place, each checks in on site (报到) and completes
its task. Ticket events (topic `tickets`, key = ticket id), so they stay in order with the ticket's other events;
registered in EVENT_TYPES like every event."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from libs.events.models import Event

Reason = Annotated[str, Field(min_length=2, max_length=500)]


class DepartmentsSummoned(Event):
    """吹哨: community staff (or a street supervisor) summon a lead department and co-departments to a place; each must
    check in on site by `on_site_due` (the policy's `joint_on_site` from now). The lead resolves the ticket; each
    co-department completes a task of its own, which the lead's 办结 waits for."""

    summons_id: str
    community_id: str
    lead_department_id: str
    co_department_ids: tuple[str, ...] = ()
    title: str | None = None  # what the ticket is about, for co-departments that never held it
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    reason: Reason
    on_site_due: datetime
    joint_handling: bool = False  # opened for a ticket whose second rating failed (联席办)

    @property
    def department_ids(self) -> tuple[str, ...]:
        """Every summoned department, the lead first."""
        return (self.lead_department_id, *self.co_department_ids)


class SummonsCheckedIn(Event):
    """报到: a summoned department's staff checked in on site: who (actor), when (occurred_at), where (the device's
    position, if it had one), how far from the summoned place, and whether it was late (past the span or too far)."""

    summons_id: str
    department_id: str
    latitude: float | None = None
    longitude: float | None = None
    distance_m: float | None = None  # None: no position (an address note instead)
    late: bool = False
    note: str | None = Field(default=None, max_length=200)


class SummonsTaskCompleted(Event):
    """A department's task of the summons is done (the lead's is done by resolving the ticket)."""

    summons_id: str
    department_id: str
    note: str = Field(min_length=2, max_length=1000)
