"""Ticket events -> the dashboard's read models, inside the idempotent inbox transaction: the ticket row (fold and
facts), per-day figures (dashboard_daily) and tickets by status now (dashboard_counter). Deterministic: every time
comes from the events, so a rebuild from offset zero equals the incremental result."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from libs.directory import get_directory
from libs.events import Event, TicketAssignedToCommunity, TicketFiled, TicketRecategorized
from libs.ticket.view import TicketView, apply_event, fold
from services.dashboard.domain import (
    TicketFacts,
    area_deltas,
    area_scopes,
    department_deltas,
    scope_moves,
    status_moves,
    status_scopes,
)
from services.dashboard.models import DashboardCounter, DashboardDaily, DashboardTicket

PLACE_CELL = 0.002  # degrees (~200 m): tickets without a named 小区 are grouped by position
BATCH = "dashboard_batch"  # session.info key of a batch.Batch (rebuild and bulk loads): figures summed, written once


def _insert(session: Session):  # noqa: ANN202 - the dialect's insert construct
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def bump_daily(session: Session, scope: str, metric: str, day: str | date, delta: int) -> None:
    """Atomic upsert-increment of one day's figure, safe when several consumers touch the same row (inside a batch,
    batch.py adds the deltas up and writes each row once when the batch ends)."""
    if not delta:
        return
    day = date.fromisoformat(day) if isinstance(day, str) else day
    batch = session.info.get(BATCH)
    if batch is not None:
        batch.daily[(scope, metric, day)] += delta
        return
    stmt = _insert(session)(DashboardDaily).values(scope=scope, metric=metric, day=day, value=delta)
    stmt = stmt.on_conflict_do_update(
        index_elements=["scope", "metric", "day"], set_={"value": DashboardDaily.__table__.c.value + delta}
    )
    session.execute(stmt)


def bump_status(session: Session, scope: str, metric: str, delta: int) -> None:
    batch = session.info.get(BATCH)
    if batch is not None:
        batch.counters[(scope, metric)] += delta
        return
    stmt = _insert(session)(DashboardCounter).values(scope=scope, metric=metric, value=delta)
    stmt = stmt.on_conflict_do_update(
        index_elements=["scope", "metric"], set_={"value": DashboardCounter.__table__.c.value + delta}
    )
    session.execute(stmt)


def place_of(event: TicketFiled) -> str | None:
    """The 小区 the address names (the longest of the community's compounds), else a ~200 m cell of its position."""
    community = get_directory().community(event.community_id)
    if community and event.address:
        found = [name for name in community.compounds if name in event.address]
        if found:
            return f"{community.id}/{max(found, key=len)}"[:60]
    if event.latitude is not None and event.longitude is not None:
        lat, lon = round(event.latitude / PLACE_CELL) * PLACE_CELL, round(event.longitude / PLACE_CELL) * PLACE_CELL
        return f"@{lat:.3f},{lon:.3f}"
    return None


def project_event(session: Session, event: Event) -> None:
    """Fold one ticket event into the read models."""
    batch = session.info.get(BATCH)
    ticket = batch.ticket(session, event.ticket_id) if batch is not None else session.get(DashboardTicket, event.ticket_id)
    if isinstance(event, TicketFiled):
        if ticket is None and event.kind != "wish":  # a 微心愿 is no ticket: the wishes service's statistics count it
            _project_filing(session, event)
        return
    if ticket is None:
        return  # an event for a ticket filed before this read model existed
    held = batch.folded.get(ticket.id) if batch is not None else None  # a batch keeps the fold and facts until it ends
    facts, before = held if held is not None else (facts_of(ticket), ticket.view())
    before_areas, before_status_scopes = area_scopes(facts), status_scopes(facts)
    after = apply_event(before, event, service="dashboard")
    facts.department_id = after.department_id or facts.department_id  # set by a dispatch the fold accepted
    if isinstance(event, TicketAssignedToCommunity):  # 街道分拨: from the triage queue to the chosen community
        facts.community_id = event.community_id
        facts.grid_id = event.grid_id or facts.grid_id
    if isinstance(event, TicketRecategorized):  # 分类调整: it counts for its new category from now on
        facts.category = event.category
    deltas = area_deltas(facts, before, after, event)
    day = facts.filed_day
    for scope, metric, delta in scope_moves(facts.counted, before_areas, area_scopes(facts)):
        bump_daily(session, scope, metric, day, delta)
    for scope, metric, delta in status_moves(before.status.value, before_status_scopes, after.status.value, status_scopes(facts)):
        bump_status(session, scope, metric, delta)
    for scope in area_scopes(facts):
        for metric, delta in deltas.items():
            bump_daily(session, scope, metric, day, delta)
    for metric, delta in deltas.items():
        facts.counted[metric] = facts.counted.get(metric, 0) + delta
    for department, dispatch_day, metric, delta in department_deltas(facts, before, after, event):
        bump_daily(session, f"department:{department}", metric, dispatch_day, delta)
    if batch is not None:
        batch.folded[ticket.id] = (facts, after)
        batch.updated[ticket.id] = event.occurred_at
        return
    keep(ticket, facts, after, event.occurred_at)
    session.add(ticket)


def keep(ticket: DashboardTicket, facts: TicketFacts, view: TicketView, at: datetime) -> None:
    """The fold and facts onto the ticket's row."""
    ticket.store(view)
    _keep_facts(ticket, facts)
    ticket.updated_at = at


def _project_filing(session: Session, event: TicketFiled) -> None:
    facts = TicketFacts(
        community_id=event.community_id, category=event.category, grid_id=event.grid_id, channel=event.channel,
        kind=event.kind, place=place_of(event), filed_at=event.occurred_at.isoformat(), counted={"filed": 1},
    )
    ticket = DashboardTicket(
        id=event.ticket_id, community_id=event.community_id, category=event.category, urgency=event.urgency,
        title=event.title, filed_at=event.occurred_at, updated_at=event.occurred_at,
        warnings={}, fold={}, counted={}, facts={},  # given, not defaulted: pydantic inspects each default_factory per row
    )
    ticket.store(fold(None, event))
    _keep_facts(ticket, facts)
    session.add(ticket)
    if (batch := session.info.get(BATCH)) is not None:
        batch.tickets[ticket.id] = ticket
    for scope in area_scopes(facts):
        bump_daily(session, scope, "filed", facts.filed_day, 1)
        bump_status(session, scope, f"status:{ticket.status}", 1)


def facts_of(ticket: DashboardTicket) -> TicketFacts:
    stored = dict(ticket.facts or {})
    if not stored:  # a row from before the facts column: what its columns know
        stored = {"community_id": ticket.community_id, "category": ticket.category, "department_id": ticket.department_id,
                  "responded": ticket.responded, "handled": ticket.handled, "filed_at": ticket.filed_at.isoformat()}
    facts = TicketFacts.from_dict(stored)
    facts.counted = dict(ticket.counted or {})
    facts.departments = {k: dict(v) for k, v in facts.departments.items()}
    return facts


def _keep_facts(ticket: DashboardTicket, facts: TicketFacts) -> None:
    ticket.community_id, ticket.category, ticket.department_id = facts.community_id, facts.category, facts.department_id
    ticket.grid_id, ticket.channel, ticket.kind, ticket.place = facts.grid_id, facts.channel, facts.kind, facts.place
    ticket.responded, ticket.handled, ticket.overdue = facts.responded, facts.handled, facts.overdue
    ticket.counted = dict(facts.counted)
    ticket.facts = {k: v for k, v in facts.to_dict().items() if k != "counted"}
