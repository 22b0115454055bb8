"""隐患随手拍 confirmed: a ticket event (topic `tickets`, key = ticket id, in order with the ticket's other events);
registered in EVENT_TYPES like every event. The wishes service credits the reporter's points from it, once."""
from __future__ import annotations

from libs.events.models import Event


class HazardVerified(Event):
    """Community staff (or the street's supervisor) confirmed that a hazard report (kind hazard) is a real hazard:
    the reporter earns the points rules' `hazard_verified`, once per ticket. The ticket's handling goes on as before."""

    community_id: str
    note: str | None = None
