"""Open311 GeoReport v2 POST requests: the form to one `filing.FileTicket` (or every fault at once, each naming its
field), the retry keys (Idempotency-Key, else the content in a RETRY_WINDOW bucket) and the unit of work that files."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.datastructures import MultiDict

from libs.directory import Directory, get_directory
from libs.events import Actor
from libs.runtime import Runtime
from services.intake import filing, open311_keys
from services.intake.channels.open311.formats import GeoReportError, _one
from services.intake.channels.open311.records import KINDS, _category, attributes
from services.intake.filing import FileTicket
from services.intake.models import IntakeTicket
from services.intake.open311_keys import Open311Key

RETRY_WINDOW = timedelta(minutes=10)
DESCRIPTION_MAX = 2000  # the spec allows 4,000; the ticket holds 2,000
PHONE = re.compile(r"^\+?[0-9 \-]{7,20}$")
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
CJK = re.compile(r"[\u3400-\u9fff]")


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
