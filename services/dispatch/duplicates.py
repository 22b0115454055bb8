"""疑似重复 (duplicate hints): an open ticket of the same community and category, filed within `radius_m` meters
(haversine) and `window_hours` of a new one, is linked to it as a possible duplicate; the community console shows the
links beside the new ticket with a one-click 合并 (POST /tickets/{id}/merge).

Dispatch holds every open ticket of each community, so it matches here, when TicketFiled arrives (and again when the
category changes). Tickets without coordinates are never hinted: their distance is unknown.

Configuration (environment): DUPLICATE_RADIUS_M (default 200), DUPLICATE_WINDOW_HOURS (default 48)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlmodel import Session, col, delete, select

from libs.ticket import FINISHED, STATUS_LABELS_ZH, TicketStatus
from services.dispatch.models import DispatchDuplicate, DispatchTicket, DuplicateHint

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
METERS_PER_DEGREE_LAT = 111_320.0


class DuplicateSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUPLICATE_", extra="ignore")

    radius_m: float = Field(default=200.0, gt=0, le=50_000)
    window_hours: float = Field(default=48.0, gt=0, le=24 * 90)


@lru_cache
def get_duplicate_settings() -> DuplicateSettings:
    return DuplicateSettings()


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in meters between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Filing:
    """What the match looks at of a ticket."""

    id: str
    community_id: str
    category: str
    latitude: float | None
    longitude: float | None
    filed_at: datetime
    open: bool = True


@dataclass(frozen=True)
class Match:
    candidate_id: str
    distance_m: float
    hours_apart: float


def match(new: Filing, candidate: Filing, *, radius_m: float, window_hours: float) -> Match | None:
    """The link when `candidate` may be what `new` repeats: another open ticket of the same community and category,
    both with coordinates, at most `radius_m` apart and filed at most `window_hours` apart (either way round)."""
    if candidate.id == new.id or not candidate.open:
        return None
    if (candidate.community_id, candidate.category) != (new.community_id, new.category):
        return None
    if None in (new.latitude, new.longitude, candidate.latitude, candidate.longitude):
        return None
    hours = abs((new.filed_at - candidate.filed_at).total_seconds()) / 3600
    if hours > window_hours:
        return None
    distance = haversine_m(new.latitude, new.longitude, candidate.latitude, candidate.longitude)  # type: ignore[arg-type]
    if distance > radius_m:
        return None
    return Match(candidate.id, round(distance, 1), round(hours, 2))


def bounding_box(latitude: float, longitude: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) around the point, a little larger than the circle: the SQL prefilter."""
    dlat = radius_m / METERS_PER_DEGREE_LAT * 1.01
    dlon = radius_m / (METERS_PER_DEGREE_LAT * max(math.cos(math.radians(latitude)), 0.01)) * 1.01
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def _filing(ticket: DispatchTicket) -> Filing:
    return Filing(
        id=ticket.id, community_id=ticket.community_id, category=ticket.category, latitude=ticket.latitude,
        longitude=ticket.longitude, filed_at=_aware(ticket.filed_at), open=TicketStatus(ticket.status) not in FINISHED,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite hands back naive datetimes


def link_duplicates(session: Session, ticket: DispatchTicket, settings: DuplicateSettings | None = None) -> list[Match]:
    """(Re)compute the hints of `ticket`: its old links go, the open tickets it may repeat are linked."""
    settings = settings or get_duplicate_settings()
    session.exec(delete(DispatchDuplicate).where(col(DispatchDuplicate.ticket_id) == ticket.id))  # type: ignore[call-overload]
    if ticket.latitude is None or ticket.longitude is None:
        return []
    new = _filing(ticket)
    min_lat, max_lat, min_lon, max_lon = bounding_box(ticket.latitude, ticket.longitude, settings.radius_m)
    window = timedelta(hours=settings.window_hours)
    query = select(DispatchTicket).where(
        DispatchTicket.community_id == ticket.community_id,
        DispatchTicket.category == ticket.category,
        DispatchTicket.id != ticket.id,
        col(DispatchTicket.status).not_in([s.value for s in FINISHED]),
        col(DispatchTicket.latitude).between(min_lat, max_lat),
        col(DispatchTicket.longitude).between(min_lon, max_lon),
        col(DispatchTicket.filed_at).between(new.filed_at - window, new.filed_at + window),
    )
    found = [
        m for candidate in session.exec(query)
        if (m := match(new, _filing(candidate), radius_m=settings.radius_m, window_hours=settings.window_hours))
    ]
    found.sort(key=lambda m: (m.distance_m, m.hours_apart))
    now = datetime.now(timezone.utc)
    for m in found:
        session.add(
            DispatchDuplicate(
                ticket_id=ticket.id, candidate_id=m.candidate_id, distance_m=m.distance_m, hours_apart=m.hours_apart, found_at=now
            )
        )
    return found


def hints(session: Session, ticket: DispatchTicket) -> list[DuplicateHint]:
    """The still-open tickets `ticket` may repeat, nearest first (none once it is merged or finished)."""
    if TicketStatus(ticket.status) in FINISHED:
        return []
    rows = session.exec(
        select(DispatchDuplicate, DispatchTicket)
        .join(DispatchTicket, col(DispatchTicket.id) == col(DispatchDuplicate.candidate_id))
        .where(DispatchDuplicate.ticket_id == ticket.id)
        .order_by(col(DispatchDuplicate.distance_m), col(DispatchDuplicate.hours_apart))
    ).all()
    return [
        DuplicateHint(
            ticket_id=other.id, title=other.title, category=other.category, status=other.status,
            status_label=STATUS_LABELS_ZH[TicketStatus(other.status)], address=other.address,
            distance_m=link.distance_m, hours_apart=link.hours_apart, filed_at=other.filed_at,
        )
        for link, other in rows
        if TicketStatus(other.status) not in FINISHED
    ]


def hints_for(session: Session, tickets: list[DispatchTicket]) -> dict[str, list[DuplicateHint]]:
    """`hints` of several tickets at once (the console's queue): ticket id → its hints, only tickets that have some."""
    found = {ticket.id: hints(session, ticket) for ticket in tickets}
    return {ticket_id: listed for ticket_id, listed in found.items() if listed}
