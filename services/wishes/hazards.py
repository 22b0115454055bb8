"""Points for 隐患随手拍: the wishes service keeps who reported each hazard (from TicketFiled of kind hazard, on the
`tickets` topic in order with the ticket's other events) and credits them when staff confirm it (HazardVerified):
once per ticket (source hazard:<ticket id>), within the rules' daily cap."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, Session, SQLModel

from libs.events import HazardVerified, TicketFiled
from libs.observability import get_logger
from services.wishes.points import award

log = get_logger(__name__)


class HazardReport(SQLModel, table=True):
    __tablename__ = "wishes_hazard_report"

    ticket_id: str = Field(primary_key=True, max_length=40)
    community_id: str = Field(max_length=40)
    reporter_id: str | None = Field(default=None, max_length=80)
    filed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def record_hazard(session: Session, event: TicketFiled) -> None:
    if event.kind == "hazard" and session.get(HazardReport, event.ticket_id) is None:
        session.add(HazardReport(ticket_id=event.ticket_id, community_id=event.community_id, reporter_id=event.reporter_id,
                                 filed_at=event.occurred_at))


def on_hazard_verified(session: Session, event: HazardVerified) -> None:
    report = session.get(HazardReport, event.ticket_id)
    if report is None or report.reporter_id is None:
        log.info("hazard_without_reporter")  # filed before this service kept reports, or by nobody we can credit
        return
    award(session, action="hazard_verified", owner_id=report.reporter_id, community_id=event.community_id,
          source_event_id=f"hazard:{event.ticket_id}")
