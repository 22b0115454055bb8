"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/, so a stock GeoReport client files
and follows tickets unchanged: `discovery`, `services`, `services/{code}`, `requests` (GET and POST) and
`requests/{id}`, each as `.json` or `.xml`, errors as `[{code, description}]` / `<errors><error>`.

- Services are the district's categories (service_code = category id); every service has the same attributes
  (kind 诉求/隐患随手拍/…, title, community, grid, urgency), all optional: placement falls back to the position, the
  address, else the street's triage queue.
- POST needs an api_key an admin issued to the client (`/admin/open311/keys`); the ticket is `filed_by`
  "open311:<client id>". Idempotency (the spec has none): a client may send `Idempotency-Key`; without it the
  request's content (every form field but api_key) is the key for RETRY_WINDOW -- an identical request from the same
  client within 10 to 20 minutes returns the first ticket instead of filing a second. Identical retries racing each
  other are serialised per client and content (a PostgreSQL advisory lock), so they never file twice.
- Reads are public and carry no personal data: no phone, name or e-mail, the address only as filed, phone numbers
  inside free text masked. `status` is open/closed (closed: 办结, 即办, closed or merged -- it may reopen), our
  detailed state in `status_notes`, `agency_responsible` the department (the community until it is dispatched),
  `expected_datetime` the running stage's deadline when intake knows it (a standing 催办), else omitted.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MultiDict

from libs.auth import Principal, require
from libs.directory import DEFAULT_FILE, Category, Directory, get_directory
from libs.events import Actor
from libs.runtime import Runtime, RuntimeDep
from libs.settings import get_settings
from libs.statemachine import DomainError
from libs.ticket.status import STATUS_LABELS_ZH, TicketStatus
from services.intake import filing, open311_keys
from services.intake.category_rules import current_rules
from services.intake.domain import mask_phone
from services.intake.filing import FileTicket
from services.intake.models import IntakeTicket
from services.intake.open311_keys import Open311Key, Open311KeyCreate, Open311KeyIssued, Open311KeyPublic

router = APIRouter(prefix="/open311/v2", tags=["open311"])
admin_router = APIRouter(prefix="/admin/open311", tags=["open311"])

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MEDIA_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# XML element of each item of a list (the Spark convention maps <services><service/>... to a JSON array).
ITEM_TAGS = {
    "services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
    "endpoints": "endpoint", "formats": "format", "errors": "error",
}
S = TicketStatus
# "closed: it has been resolved": 办结 and 即办 (awaiting the rating, may reopen), closed, merged into another.
CLOSED = frozenset({S.resolved, S.settled_on_spot, S.closed, S.merged})
OPEN = frozenset(S) - CLOSED
MAX_SPAN = timedelta(days=90)  # the spec's default and largest date range
MAX_PAGE_SIZE = 1000  # the spec's default query limit
RETRY_WINDOW = timedelta(minutes=10)
DESCRIPTION_MAX = 2000  # the spec allows 4,000; the ticket holds 2,000
KEYWORDS_SHOWN = 10
KINDS = {"problem": "诉求", "hazard": "隐患随手拍", "consultation": "咨询", "suggestion": "建议", "wish": "微心愿"}
URGENCIES = {"ordinary": "一般", "urgent": "加急", "emergency": "紧急", "complex": "复杂"}  # as the portal names them
PHONE = re.compile(r"^\+?[0-9 \-]{7,20}$")
PHONE_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
CJK = re.compile(r"[\u3400-\u9fff]")


class GeoReportError(Exception):
    """One or more errors in the spec's shape; `status` is the HTTP status (404 missing, 403 api_key, else 400)."""

    def __init__(self, status_code: int, *errors: tuple[int, str], headers: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(d for _, d in errors))
        self.status_code = status_code
        self.errors = list(errors)
        self.headers = headers or {}


def _bad(description: str) -> GeoReportError:
    return GeoReportError(400, (400, description))


def from_domain_error(exc: DomainError) -> GeoReportError:
    """The spec's HTTP statuses are 404, 403 and 400 for everything else; the body keeps our own code (409, 422...).
    429 stays 429: a client must see that it should slow down."""
    code = exc.status_code
    http = code if code in (403, 404, 429) else 400
    return GeoReportError(http, (code, str(exc)), headers=getattr(exc, "headers", None))  # Retry-After on a 429


# --------------------------------------------------------------------------- rendering


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM_TAGS[element.tag]), item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def to_xml(root: str, data: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def render(fmt: str, root: str, data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = to_xml(root, data) if fmt == "xml" else json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status_code, media_type=MEDIA_TYPES[fmt], headers=headers)


def render_errors(fmt: str, error: GeoReportError) -> Response:
    errors = [{"code": code, "description": description} for code, description in error.errors]
    return render(fmt if fmt in MEDIA_TYPES else "xml", "errors", errors, error.status_code, error.headers)


def check_format(fmt: str) -> None:
    if fmt not in MEDIA_TYPES:
        raise GeoReportError(404, (404, f"format: {fmt!r} is not served; use .xml or .json"))


def answer(fmt: str, build: Callable[[], tuple[str, Any]]) -> Response:
    """Render what `build` returns as (root element, data), or the spec's errors."""
    try:
        check_format(fmt)
        root, data = build()
        return render(fmt, root, data)
    except GeoReportError as exc:
        return render_errors(fmt, exc)
    except DomainError as exc:
        return render_errors(fmt, from_domain_error(exc))


def w3(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _scrub(value: str | None) -> str | None:
    """Public text never shows a phone number someone typed into it."""
    return PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)) or "****", value) if value else value


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


def _values(params: MultiDict | Any, name: str) -> list[str]:
    """Every value of a parameter that may be declared several times and comma delimited; blanks dropped."""
    return [part.strip() for value in params.getlist(name) for part in value.split(",") if part.strip()]


def _one(params: Any, name: str) -> str | None:
    """A single-valued parameter; empty counts as absent (the spec's "optional")."""
    value = params.get(name)
    return value.strip() if value and value.strip() else None


def _moment(params: Any, name: str) -> datetime | None:
    raw = _one(params, name)
    if raw is None:
        return None
    raw = raw.replace(" ", "+")  # an unencoded "+08:00" arrives as " 08:00"
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"{name}: {raw!r} is not a w3 date-time such as 2010-01-01T00:00:00Z") from None
    if moment.tzinfo is None:
        if "T" in raw:
            raise _bad(f"{name}: {raw!r} must include a time zone (Z or +08:00)")
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _positive(params: Any, name: str, default: int, maximum: int) -> int:
    raw = _one(params, name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise _bad(f"{name}: must be a whole number from 1 to {maximum}")
    return int(raw)


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


# --------------------------------------------------------------------------- requests: filing


def _attribute_values(form: MultiDict) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """attribute[code]=value pairs (attribute[code][]=v for lists; ours are all single-valued)."""
    found: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        match = ATTRIBUTE.match(key)
        if match and value.strip():
            found.setdefault(match.group(1), []).append(value.strip())
    errors = [(400, f"attribute[{code}]: takes one value, got {len(vals)}") for code, vals in found.items() if len(vals) > 1]
    return {code: vals[0] for code, vals in found.items()}, errors


def _title(attribute_title: str | None, description: str | None, service_name: str) -> str:
    if attribute_title:
        return attribute_title
    first = re.split(r"[\r\n。！？!?；;]", description or "", maxsplit=1)[0].strip()
    if len(first) < 2:
        return service_name
    return first if len(first) <= 40 else first[:39] + "…"


def _contact_name(first: str | None, last: str | None) -> str | None:
    parts = [p for p in (last, first) if p]
    if not parts:
        return None
    name = "".join(parts) if CJK.search("".join(parts)) else " ".join(reversed(parts))  # 姓名 / Given Family
    return name[:40]


def georeport_filing(
    directory: Directory, form: MultiDict, client: Open311Key, idempotency_key: str
) -> FileTicket:
    """The FileTicket a POST requests means, or every problem with it at once (400), each naming its field."""
    category = _category(directory, _one(form, "service_code"))
    errors: list[tuple[int, str]] = []
    attrs, attr_errors = _attribute_values(form)
    errors += attr_errors
    definition = {a["code"]: a for a in attributes(directory, category)}
    for code, value in attrs.items():
        spec = definition.get(code)
        if spec is None:
            errors.append((400, f"attribute[{code}]: service {category.id!r} has no such attribute"))
        elif spec["datatype"] == "singlevaluelist" and value not in {v["key"] for v in spec["values"]}:
            errors.append((400, f"attribute[{code}]: {value!r} is not one of {', '.join(v['key'] for v in spec['values'])}"))
    title = attrs.get("title")
    if title is not None and not 2 <= len(title) <= 80:
        errors.append((400, "attribute[title]: 2 to 80 characters"))

    lat, long = _one(form, "lat"), _one(form, "long")
    latitude = longitude = None
    if (lat is None) != (long is None):
        errors.append((400, "lat, long: send both, or neither"))
    elif lat is not None and long is not None:
        try:
            latitude, longitude = float(lat), float(long)
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise ValueError
        except ValueError:
            errors.append((400, "lat, long: WGS84 degrees, lat from -90 to 90 and long from -180 to 180"))
    address = _one(form, "address_string")
    if address is not None and len(address) > 200:
        errors.append((400, "address_string: at most 200 characters"))
    if latitude is None and address is None and not any("lat" in d for _, d in errors):
        if _one(form, "address_id"):
            errors.append((400, "address_id: not supported here; send lat and long, or address_string"))
        else:
            errors.append((400, "lat, long, address_string: a location is required (lat and long, or address_string)"))

    description = _one(form, "description")
    if description is not None and len(description) > DESCRIPTION_MAX:
        errors.append((400, f"description: at most {DESCRIPTION_MAX} characters"))
    media_url = _one(form, "media_url")
    if media_url is not None and (not media_url.startswith(("http://", "https://")) or len(media_url) > 500):
        errors.append((400, "media_url: an http(s) URL of at most 500 characters"))
    phone = _one(form, "phone")
    if phone is not None and not PHONE.match(phone):
        errors.append((400, "phone: 7 to 20 digits, spaces or dashes, optionally starting with +"))
    first_name, last_name = _one(form, "first_name"), _one(form, "last_name")
    if errors:
        raise GeoReportError(400, *errors)

    name = _contact_name(first_name, last_name)
    return FileTicket(
        channel="open311",
        actor=Actor(role="system", id=f"open311:{client.client_id}"),
        filed_by=f"open311:{client.client_id}",
        idempotency_key=idempotency_key,
        kind=attrs.get("kind", "wish" if category.id == "wish" else "problem"),
        title=_title(title, description, category.name),
        description=description or category.name,
        category=category.id,
        urgency=attrs.get("urgency"),
        community_id=attrs.get("community"),
        grid_id=attrs.get("grid"),
        address=address,
        latitude=latitude,
        longitude=longitude,
        anonymous=not (phone or name),
        attachments=(media_url,) if media_url else (),
        contact_phone=phone,  # phone and name are stored encrypted, the phone shown masked (privacy.py)
        contact_name=name,
    )


def retry_keys(form: MultiDict, header_key: str | None, now: datetime) -> tuple[str, tuple[str, ...], str]:
    """(the key to file under, the key of the previous window, what to serialise retries on).
    With an Idempotency-Key header: that key, for good. Without: the content of the request in a RETRY_WINDOW
    bucket; the previous bucket counts too, so a retry just across a bucket edge still finds the first ticket."""
    if header_key:
        key = f"key:{header_key}"
        return key, (), key
    content = sorted((k, v) for k, v in form.multi_items() if k != "api_key")
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()[:48]
    bucket = int(now.timestamp() // RETRY_WINDOW.total_seconds())
    return f"sha256:{digest}:{bucket}", (f"sha256:{digest}:{bucket - 1}",), digest


def _lock(session: Session, filed_by: str, token: str) -> None:
    """Serialise one client's identical requests until this transaction ends (PostgreSQL; SQLite has one writer)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    lock_id = int.from_bytes(hashlib.sha256(f"{filed_by}\n{token}".encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def post_request(
    session: Session, *, form: MultiDict, api_key: str | None, idempotency_key: str, earlier_keys: tuple[str, ...],
    lock_token: str,
) -> tuple[IntakeTicket, bool]:
    """POST requests as one unit of work: the key (403), the form (400), then the ticket this request filed in the
    previous window, else `file_ticket` (which answers a retry under the same key with the first ticket and refuses
    a different request under it)."""
    client = open311_keys.authenticate(session, api_key)
    command = georeport_filing(get_directory(), form, client, idempotency_key)
    _lock(session, command.filed_by, lock_token)
    if earlier_keys:
        earlier = session.exec(
            select(IntakeTicket).where(
                IntakeTicket.filed_by == command.filed_by, col(IntakeTicket.idempotency_key).in_(earlier_keys)
            )
        ).first()
        if earlier is not None:
            return earlier, False
    return filing.file_ticket(session, command)


def _post(runtime: Runtime, form: MultiDict, api_key: str | None, header_key: str | None) -> list[dict[str, Any]]:
    key, earlier, token = retry_keys(form, header_key, datetime.now(timezone.utc))
    arguments = {"form": form, "api_key": api_key, "idempotency_key": key, "earlier_keys": earlier, "lock_token": token}
    try:
        ticket, _created = runtime.run(post_request, **arguments)
    except IntegrityError:  # a concurrent identical retry won the insert: answer with its ticket
        ticket, _created = runtime.run(post_request, **arguments)
    notice = f"已受理（{KINDS.get(ticket.kind, ticket.kind)}），请凭工单号 {ticket.id} 查询办理进度"
    return [{"service_request_id": ticket.id, "service_notice": notice, "account_id": None}]


# --------------------------------------------------------------------------- routes

@router.get("/discovery.{fmt}", summary="Service discovery (endpoints, formats, how to get an api_key)")
def discovery(fmt: str, request: Request) -> Response:
    def build() -> tuple[str, Any]:
        changeset = _changeset()
        street = get_directory().street
        return "discovery", {
            "changeset": changeset,
            "contact": f"{street.name} 吹哨受理平台（Whistle intake）",
            "key_service": "api_key 由区级管理员为每个接入方签发（POST /admin/open311/keys）",
            "endpoints": [{
                "specification": SPECIFICATION,
                "url": str(request.url_for("discovery", fmt=fmt)).rsplit("/", 1)[0],
                "changeset": changeset,
                "type": "production" if get_settings().env == "production" else "test",
                "formats": ["text/xml", "application/json"],
            }],
        }

    return answer(fmt, build)


@router.get("/services.{fmt}", summary="GET Service List: the district's categories")
def services(fmt: str, runtime: RuntimeDep) -> Response:
    def build() -> tuple[str, Any]:
        directory = get_directory()
        keywords = runtime.read(keywords_by_category)
        return "services", [service(directory, c, keywords.get(c.id, ())) for c in directory.categories]

    return answer(fmt, build)


@router.get("/services/{service_code}.{fmt}", summary="GET Service Definition: the attributes a request may carry")
def service_definition(service_code: str, fmt: str) -> Response:
    def build() -> tuple[str, Any]:
        directory = get_directory()
        category = _category(directory, service_code)
        return "service_definition", {"service_code": category.id, "attributes": attributes(directory, category)}

    return answer(fmt, build)


@router.post(
    "/requests.{fmt}",
    summary="POST Service Request (form-encoded, api_key required)",
    description="Form fields as GeoReport v2 defines them. Send `Idempotency-Key` to make retries safe beyond the "
    "10-minute content window.",
)
async def create_request(fmt: str, request: Request, runtime: RuntimeDep) -> Response:
    try:
        check_format(fmt)
        try:
            form = MultiDict((await request.form()).multi_items())
        except Exception:  # noqa: BLE001 - whatever the body was, it was not a form
            raise _bad("body: send the fields as application/x-www-form-urlencoded") from None
        api_key = _one(form, "api_key") or _one(request.query_params, "api_key")
        header_key = request.headers.get("Idempotency-Key", "").strip() or None
        if header_key is not None and len(header_key) > 90:
            raise _bad("Idempotency-Key: at most 90 characters")
        data = await run_in_threadpool(_post, runtime, form, api_key, header_key)
    except GeoReportError as exc:
        return render_errors(fmt, exc)
    except DomainError as exc:
        return render_errors(fmt, from_domain_error(exc))
    return render(fmt, "service_requests", data)


@router.get("/requests.{fmt}", summary="GET Service Requests (public; no personal data)")
def list_requests(fmt: str, request: Request, runtime: RuntimeDep) -> Response:
    def build() -> tuple[str, Any]:
        directory = get_directory()
        tickets = runtime.read(search_requests, params=request.query_params, now=datetime.now(timezone.utc))
        return "service_requests", [public_request(directory, t) for t in tickets]

    return answer(fmt, build)


@router.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request (public; no personal data)")
def get_request(service_request_id: str, fmt: str, runtime: RuntimeDep) -> Response:
    def build() -> tuple[str, Any]:
        ticket = runtime.read(lambda session: session.get(IntakeTicket, service_request_id))
        if ticket is None:
            raise GeoReportError(404, (404, f"service_request_id: no request {service_request_id!r}"))
        return "service_requests", [public_request(get_directory(), ticket)]

    return answer(fmt, build)


# --------------------------------------------------------------------------- admin: api keys

Admin = Annotated[Principal, Depends(require("admin"))]


@admin_router.post("/keys", response_model=Open311KeyIssued, status_code=status.HTTP_201_CREATED,
                   summary="Issue an Open311 api_key to a client (shown once)")
def issue_key(body: Open311KeyCreate, principal: Admin, runtime: RuntimeDep) -> Open311KeyIssued:
    return runtime.run(open311_keys.issue_key, principal=principal, body=body)


@admin_router.get("/keys", response_model=list[Open311KeyPublic], summary="Open311 keys, newest first (never the key)")
def list_keys(
    principal: Admin, runtime: RuntimeDep, client_id: Annotated[str | None, Query(max_length=40)] = None
) -> list[Open311KeyPublic]:
    return [Open311KeyPublic(**k.model_dump()) for k in runtime.read(open311_keys.list_keys, client_id=client_id)]


@admin_router.post("/keys/{key_id}/revoke", response_model=Open311KeyPublic, summary="Revoke a key at once")
def revoke_key(key_id: str, principal: Admin, runtime: RuntimeDep) -> Open311KeyPublic:
    return Open311KeyPublic(**runtime.run(open311_keys.revoke_key, principal=principal, key_id=key_id).model_dump())
