"""The one serializer: JSON bytes on the wire, validated back into the right model by `type`."""
from __future__ import annotations

import json

from pydantic import ValidationError

from libs.events import summons as _summons  # noqa: F401 - registers the 吹哨报到 events
from libs.events import wishes as _wishes  # noqa: F401 - registers the wish, volunteer and points events
from libs.events.models import EVENT_TYPES, Envelope


class EventDecodeError(ValueError):
    """The bytes are not a known, valid event; the consumer sends them to the dead-letter topic."""


def encode_event(event: Envelope) -> bytes:
    return event.model_dump_json().encode()


def decode_event(raw: bytes | str) -> Envelope:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EventDecodeError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise EventDecodeError("event must be a JSON object")
    model = EVENT_TYPES.get(str(data.get("type")))
    if model is None:
        raise EventDecodeError(f"unknown event type {data.get('type')!r}")
    version = data.get("version", 1)
    if not isinstance(version, int) or version > model.model_fields["version"].default:
        raise EventDecodeError(f"unsupported {data['type']} version {version!r}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EventDecodeError(f"invalid {data['type']}: {exc.errors(include_url=False)}") from exc
