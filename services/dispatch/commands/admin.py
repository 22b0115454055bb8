"""Admin (系统设置): the SLA policy and the working-time calendar, published on the `config` topic."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from libs.auth.principal import Principal
from libs.directory import get_directory
from libs.events import Actor, CalendarAdjusted, SlaPolicyPublished
from libs.messaging import record_event
from libs.sla.calendar import load_calendar
from libs.sla.policy import load_policy
from libs.versioned import publish_next_version, stored_public
from services.dispatch import domain
from services.dispatch.commands import now
from services.dispatch.models import CalendarOverrides, CalendarPublic, DispatchCalendar, DispatchSlaPolicy, SlaPolicyPublic


def current_sla_policy(session: Session) -> SlaPolicyPublic:
    """The latest stored version, else the policy file the services started with."""
    stored = session.exec(select(DispatchSlaPolicy).order_by(col(DispatchSlaPolicy.version).desc()).limit(1)).first()
    if stored is not None:
        return stored_public(SlaPolicyPublic, stored)
    policy = load_policy()
    return SlaPolicyPublic(version=policy.version, source="file", document=policy.document)


def publish_sla_policy(session: Session, *, principal: Principal, document: dict[str, Any]) -> SlaPolicyPublic:
    """A new policy version for tickets filed from now on; running tickets keep theirs."""
    return publish_next_version(
        session,
        principal=principal,
        lock_id=0x5A1A,
        current_version=lambda s: current_sla_policy(s).version,
        accept=lambda current: (domain.next_sla_policy(current, document, get_directory()).version, document),
        table=DispatchSlaPolicy,
        event=lambda actor, version, doc: SlaPolicyPublished(actor=actor, policy_version=version, document=doc),
        public=SlaPolicyPublic,
        clock=now,
    )


def current_calendar(session: Session) -> CalendarPublic:
    stored = session.exec(select(DispatchCalendar).order_by(col(DispatchCalendar.id).desc()).limit(1)).first()
    if stored is None:
        return CalendarPublic()
    return CalendarPublic(
        holidays=stored.holidays, workdays=stored.workdays, remove=stored.remove,
        adjusted_by=stored.adjusted_by, adjusted_at=stored.adjusted_at,
    )


def adjust_calendar(session: Session, *, principal: Principal, body: CalendarOverrides) -> CalendarPublic:
    """Replace the admin's calendar overrides; the workflow bridge applies them to tickets filed from now on."""
    overrides = {"holidays": sorted(set(body.holidays)), "workdays": sorted(set(body.workdays)), "remove": sorted(set(body.remove))}
    try:
        load_calendar(extra=overrides)
    except ValueError as exc:
        raise domain.PolicyRejected(str(exc).replace("extra.", "").replace("extra:", "holidays, workdays:")) from None
    row = DispatchCalendar(**overrides, adjusted_by=principal.sub, adjusted_at=now())
    session.add(row)
    record_event(
        session,
        CalendarAdjusted(
            actor=Actor(**principal.actor()),
            holidays=tuple(overrides["holidays"]),
            workdays=tuple(overrides["workdays"]),
            remove=tuple(overrides["remove"]),
        ),
    )
    return CalendarPublic(**overrides, adjusted_by=row.adjusted_by, adjusted_at=row.adjusted_at)
