"""Open311 GeoReport v2 reads: the services (the district's categories and the attributes every request may carry),
one ticket as a public service request (no personal data), and the search behind GET requests."""
from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from libs.directory import DEFAULT_FILE, Category, Directory
from libs.ticket.status import STATUS_LABELS_ZH, TicketStatus
from services.intake.category_rules import current_rules
from services.intake.channels.open311.formats import GeoReportError, _bad, _moment, _one, _positive, _scrub, _values, w3
from services.intake.models import IntakeTicket

S = TicketStatus
# "closed: it has been resolved": 办结 and 即办 (awaiting the rating, may reopen), closed, merged into another.
CLOSED = frozenset({S.resolved, S.settled_on_spot, S.closed, S.merged})
OPEN = frozenset(S) - CLOSED
MAX_SPAN = timedelta(days=90)  # the spec's default and largest date range
MAX_PAGE_SIZE = 1000  # the spec's default query limit
KEYWORDS_SHOWN = 10
KINDS = {"problem": "诉求", "hazard": "隐患随手拍", "consultation": "咨询", "suggestion": "建议", "wish": "微心愿"}
URGENCIES = {"ordinary": "一般", "urgent": "加急", "emergency": "紧急", "complex": "复杂"}  # as the portal names them


# --------------------------------------------------------------------------- services


def _department_name(directory: Directory, department_id: str | None) -> str | None:
    department = directory.department(department_id) if department_id else None
    return department.name if department else None


def keywords_by_category(session: Session) -> dict[str, list[str]]:
    """Each category's suggestion keywords (分类建议, which admins edit), heaviest first: the spec's synonyms."""
    categories: dict[str, dict[str, float]] = current_rules(session).document.get("categories", {})
    return {
        category: [word for word, _ in sorted(words.items(), key=lambda kv: -kv[1])][:KEYWORDS_SHOWN]
        for category, words in categories.items()
    }


def service(directory: Directory, category: Category, keywords: Iterable[str] = ()) -> dict[str, Any]:
    agency = _department_name(directory, category.department)
    handled = f"由社区受理转派{agency}办理" if agency else "由社区受理并确定承办部门"
    return {
        "service_code": category.id,
        "service_name": category.name,
        "description": f"{category.name}：{handled}",
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(keywords),
        "group": agency or "社区",
    }


def attributes(directory: Directory, category: Category) -> list[dict[str, Any]]:
    """The same optional attributes for every service: what kind of filing, a title, where, how urgent."""

    def values(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"key": key, "name": name} for key, name in pairs]

    grids = [(g, f"{c.name} {g}") for c in directory.communities for g in c.grids]
    return [
        {"variable": True, "code": "kind", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 1,
         "description": "类型：诉求、隐患随手拍、咨询、建议或微心愿（默认：诉求）", "values": values(KINDS.items())},
        {"variable": True, "code": "title", "datatype": "string", "required": False,
         "datatype_description": "2 到 80 个字", "order": 2,
         "description": "一句话说明问题（不填则取描述的第一句）", "values": []},
        {"variable": True, "code": "community", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 3,
         "description": "所在社区（不填则按位置或地址归属，无法确定的由街道分拨）",
         "values": values((c.id, c.name) for c in directory.communities)},
        {"variable": True, "code": "grid", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 4, "description": "所在网格（可不填）", "values": values(grids)},
        {"variable": True, "code": "urgency", "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": 5,
         "description": f"紧急程度（默认按类别：{URGENCIES.get(category.urgency, category.urgency)}）",
         "values": values(URGENCIES.items())},
    ]


def _category(directory: Directory, service_code: str | None) -> Category:
    if not service_code:
        raise _bad("service_code: missing -- choose one from GET services")
    category = directory.category(service_code)
    if category is None:
        raise GeoReportError(404, (404, f"service_code: no service {service_code!r}"))
    return category


def _changeset() -> str:
    """When the service list last changed: the district file's modification time."""
    path = Path(os.environ.get("DISTRICT_FILE", DEFAULT_FILE))
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M")


# --------------------------------------------------------------------------- requests: reading


def public_request(directory: Directory, ticket: IntakeTicket) -> dict[str, Any]:
    """One ticket as a GeoReport service request: no phone, no name, the address as filed."""
    ticket_status = TicketStatus(ticket.status)
    view = ticket.view()
    category = directory.category(ticket.category)
    community = directory.community(ticket.community_id)
    notes = STATUS_LABELS_ZH[ticket_status]
    if ticket.merged_into:
        notes += f"（已与工单 {ticket.merged_into} 合并办理）"
    if ticket.suspended:
        notes += "（暂停办理）"
    request: dict[str, Any] = {
        "service_request_id": ticket.id,
        "status": "closed" if ticket_status in CLOSED else "open",
        "status_notes": notes,
        "service_name": category.name if category else ticket.category,
        "service_code": ticket.category,
        "description": _scrub(ticket.description),
        "agency_responsible": _department_name(directory, view.department_id) or (community.name if community else None),
        "service_notice": None,
        "requested_datetime": w3(ticket.created_at),
        "updated_datetime": w3(ticket.updated_at),
    }
    expected = _expected(ticket, ticket_status)
    if expected:
        request["expected_datetime"] = expected
    request.update({
        "address": _scrub(ticket.address),
        "address_id": None,
        "zipcode": None,
        "lat": ticket.latitude,
        "long": ticket.longitude,
        "media_url": next((a for a in ticket.attachments or [] if a.startswith(("http://", "https://"))), None),
    })
    return request


def _expected(ticket: IntakeTicket, ticket_status: TicketStatus) -> str | None:
    """The deadline of the running stage, when intake knows it (a standing 催办); resolution first."""
    if ticket_status in CLOSED or not ticket.warnings:
        return None
    stage = "resolve" if "resolve" in ticket.warnings else min(ticket.warnings, key=lambda s: ticket.warnings[s])
    try:
        return w3(datetime.fromisoformat(ticket.warnings[stage]))
    except (TypeError, ValueError):
        return None



def search_requests(session: Session, params: Any, now: datetime) -> list[IntakeTicket]:
    """GET requests: service_request_id overrides all else; otherwise service_code, status and a date range of at
    most 90 days (default: the last 90), newest first, `page_size` (default and at most 1000) per `page`."""
    page = _positive(params, "page", 1, 1_000_000)
    page_size = _positive(params, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    query = select(IntakeTicket)
    ids = _values(params, "service_request_id")
    if ids:
        query = query.where(col(IntakeTicket.id).in_(ids[:MAX_PAGE_SIZE]))
    else:
        codes = _values(params, "service_code")
        if codes:
            query = query.where(col(IntakeTicket.category).in_(codes))
        statuses = _values(params, "status")
        unknown = sorted(set(statuses) - {"open", "closed"})
        if unknown:
            raise _bad(f"status: {', '.join(unknown)} is not open or closed")
        if statuses and set(statuses) != {"open", "closed"}:
            chosen = CLOSED if statuses[0] == "closed" else OPEN
            query = query.where(col(IntakeTicket.status).in_([s.value for s in chosen]))
        start, end = _moment(params, "start_date"), _moment(params, "end_date")
        if start and end and end - start > MAX_SPAN:
            raise _bad("start_date, end_date: may not span more than 90 days")
        if start and end and end < start:
            raise _bad("end_date: before start_date")
        if start is None:
            start = (end or now) - MAX_SPAN
        if end is None:
            end = start + MAX_SPAN if _one(params, "start_date") else now
        query = query.where(IntakeTicket.created_at >= start, IntakeTicket.created_at <= end)
    query = query.order_by(col(IntakeTicket.created_at).desc(), col(IntakeTicket.id).desc())
    return list(session.exec(query.offset((page - 1) * page_size).limit(page_size)))
