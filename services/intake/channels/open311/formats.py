"""Open311 GeoReport v2 on the wire: the JSON and XML documents, the spec's error shape (`[{code, description}]` /
`<errors><error>`), w3 date-times, public text without phone numbers, and reading the query and form parameters."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from fastapi import Response
from pydantic import BaseModel, Field
from starlette.datastructures import MultiDict

from libs.statemachine import DomainError
from services.intake.domain import mask_phone

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MEDIA_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# XML element of each item of a list (the Spark convention maps <services><service/>... to a JSON array).
ITEM_TAGS = {
    "services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
    "endpoints": "endpoint", "formats": "format", "errors": "error",
}
PHONE_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")


class GeoReportError(Exception):
    """One or more errors in the spec's shape; `status` is the HTTP status (404 missing, 403 api_key, else 400)."""

    def __init__(self, status_code: int, *errors: tuple[int, str], headers: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(d for _, d in errors))
        self.status_code = status_code
        self.errors = list(errors)
        self.headers = headers or {}


class GeoReportErrorItem(BaseModel):
    """One error of the spec's `[{code, description}]` (XML: `<errors><error><code/><description/></error></errors>`)."""

    code: int = Field(description="400, 403, 404, or our own finer code (409, 422, 429) under a 400")
    description: str


_ERROR_DESCRIPTIONS = {
    400: "A parameter is missing or malformed, or the request cannot be taken (the body names it)",
    403: "api_key missing, unknown or revoked",
    404: "No such service, request or format (`.xml` and `.json` only)",
    429: "提交过于频繁 — too many requests from this phone; see Retry-After",
}


def georeport_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the spec's errors with these HTTP statuses, in JSON and XML."""
    return {
        code: {
            "model": list[GeoReportErrorItem],
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {
                "application/json": {"example": [{"code": code, "description": _ERROR_DESCRIPTIONS[code]}]},
                "text/xml": {"schema": {"type": "string"}, "example": (
                    f'<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>{code}</code>'
                    f"<description>...</description></error></errors>"
                )},
            },
        }
        for code in codes
    }


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


# --------------------------------------------------------------------------- parameters


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
