"""The error responses of every operation, documented once for all services instead of in each decorator.

`document_errors(app)` makes `app.openapi()` add, to each operation, the errors its route can answer, read from the
route itself:
- it depends on the bearer token (`libs.auth.current_principal`, also under `require(...)`): 401 and 403 (the role,
  or the scope checked by the use case);
- it has a path parameter (`/tickets/{ticket_id}`...): 404;
- it is a POST, PUT, PATCH or DELETE, or takes any parameter: 422;
- it uses the service's database (depends on `libs.runtime.app.current_runtime`, as every use case does): 503 with
  `Retry-After`, what `libs.runtime.unavailable` answers while the database is down (/healthz never does; /readyz
  documents its own 503, a `Readiness` body without `Retry-After`);
- whatever the route declares itself in `responses=` (409 of a state machine, 429 of the abuse limits, 413...) keeps
  its own description and gains the shared body below when it named none.
Every such body is `Error` (`{"detail": "..."}`: what `DomainError` and `HTTPException` answer); a 422 is `Error` or
FastAPI's `HTTPValidationError` (a list naming each bad field). Examples carry Chinese and English summaries. A route
with another error shape (Open311's `[{code, description}]`) declares its responses with a model and is left alone."""
from __future__ import annotations

from http import HTTPStatus
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import validation_error_definition, validation_error_response_definition
from fastapi.routing import APIRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before lazy included routers
    iter_route_contexts = None  # type: ignore[assignment]
from pydantic import BaseModel, Field

from libs.auth import current_principal
from libs.runtime.links import add_links
from libs.runtime.unavailable import RETRY_AFTER_SECONDS, UNAVAILABLE_DETAIL

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# `responses=STATE_REFUSED` on a command whose state machine may refuse it (libs.statemachine.DomainError: 409).
STATE_REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"description": "状态不允许 — the ticket (or request) is in a state that refuses this command; `detail` says which"},
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}


class Error(BaseModel):
    """The body of every error answer of the services' JSON APIs."""

    detail: str = Field(
        description="What was refused and why; it starts with the field or rule concerned (e.g. `category: ...`)",
        examples=["ticket 't-0b3d9c' not found"],
    )


def _example(summary: str, detail: Any) -> dict[str, Any]:
    return {"summary": summary, "value": {"detail": detail}}


STANDARD: dict[int, dict[str, Any]] = {
    401: {
        "description": "未登录或令牌无效 — no bearer token, or an invalid or expired one",
        "headers": {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
        "examples": {
            "missing": _example("未携带令牌 / no token", "missing bearer token in Authorization header"),
            "expired": _example("令牌已过期 / expired token", "invalid bearer token: Signature has expired"),
        },
    },
    403: {
        "description": "无权操作 — the caller's role, or its community / department / street, does not cover this",
        "examples": {
            "role": _example("角色不符 / wrong role", "role 'resident' may not do this; allowed: community_staff"),
            "scope": _example("超出辖区 / outside scope", "community 'xinran' is outside your scope"),
        },
    },
    404: {
        "description": "不存在 — nothing with that id (or not within the caller's reach)",
        "examples": {"ticket": _example("工单不存在 / no such ticket", "ticket 't-0b3d9c' not found")},
    },
    409: {
        "description": "状态不允许 — the current state refuses the command (the ticket moved on, already decided...)",
        "examples": {
            "state": _example(
                "当前状态不可操作 / illegal in this state",
                "ticket is resolved; only a ticket waiting for the community can be settled on the spot",
            ),
        },
    },
    422: {
        "description": "请求有误 — a field is missing, malformed or names something unknown (named in `detail`)",
        "examples": {
            "field": _example(
                "字段格式错误 / malformed field",
                [{"type": "string_too_long", "loc": ["body", "title"], "msg": "String should have at most 80 characters"}],
            ),
            "unknown": _example("未知取值 / unknown value", "category: unknown category 'ufo'"),
        },
    },
    429: {
        "description": "提交过于频繁 — too many filings from this phone or address; retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
        "examples": {
            "phone": _example("同一号码提交过多 / too many from one phone", "contact_phone: 提交过于频繁，请稍后再试（约 60 秒后可再提交）"),
        },
    },
    503: {
        "description": "服务暂时不可用 — the database does not answer (down, restarting, connections exhausted); "
        "retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"description": f"seconds to wait ({RETRY_AFTER_SECONDS})", "schema": {"type": "integer"}}},
        "examples": {"database": _example("数据库不可用 / database unavailable", UNAVAILABLE_DETAIL)},
    },
}


def api_routes(routes: list[Any]) -> Iterator[Any]:
    """The API routes of an app as the OpenAPI document sees them: with the prefix, dependencies and responses of the
    routers that include them (FastAPI >= 0.16x keeps included routers lazy; older ones copy their routes)."""
    if iter_route_contexts is None:
        yield from (r for r in routes if isinstance(r, APIRoute))
        return
    for context in iter_route_contexts(routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def error_codes(route: APIRoute) -> set[int]:
    """The standard errors `route` can answer, from its dependencies, path and method (see the module doc)."""
    from libs.runtime.app import current_runtime  # noqa: PLC0415 - app.py imports this module

    codes: set[int] = set()
    if _depends_on(route.dependant, current_principal):
        codes |= {401, 403}
    if route.dependant.path_params:
        codes.add(404)
    if set(route.methods) & WRITES or _has_params(route.dependant):
        codes.add(422)
    if _depends_on(route.dependant, current_runtime):
        codes.add(503)
    return codes


def _depends_on(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _has_params(dependant: Dependant) -> bool:
    if dependant.path_params or dependant.query_params or dependant.header_params or dependant.cookie_params:
        return True
    if dependant.body_params:
        return True
    return any(_has_params(d) for d in dependant.dependencies)


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` document the error answers of every operation and the links between operations (once,
    then cached like FastAPI's)."""
    generate = app.openapi
    done: list[dict[str, Any]] = []  # the document last completed (FastAPI makes a new one when routes are added)

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not done or done[0] is not schema:
            add_error_responses(schema, app.routes)
            add_links(schema)  # which answer gives the id another operation takes (libs.runtime.links)
            done[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_error_responses(schema: dict[str, Any], routes: list[Any]) -> None:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", Error.model_json_schema())
    for route in api_routes(routes):
        if not route.include_in_schema:
            continue
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(error_codes(route)):
                responses.setdefault(str(code), {})
            for code, response in responses.items():
                _complete(code, response)
            if "422" in responses:
                schemas.setdefault("ValidationError", validation_error_definition)
                schemas.setdefault("HTTPValidationError", validation_error_response_definition)
            operation["responses"] = dict(sorted(responses.items()))


def _complete(code: str, response: dict[str, Any]) -> None:
    """Give an error response its description, body schema, examples and headers where it has none of its own."""
    status = int(code) if code.isdigit() else None
    standard = STANDARD.get(status or 0, {})
    if not response.get("description") or (status == 422 and response["description"] == "Validation Error"):
        response["description"] = standard.get("description") or _phrase(status)
    if status is None or status < 400:
        return
    content = response.setdefault("content", {})
    body = content.get("application/json")
    if body is None and not content:
        body = content["application/json"] = {}
    if body is None:
        return  # another media type only (XML...): the route documents it itself
    if status == 422 and body.get("schema") in (None, {}, VALIDATION_REF):
        body["schema"] = {"anyOf": [dict(VALIDATION_REF), dict(ERROR_REF)]}  # FastAPI's field list, or a use case's
    elif not body.get("schema"):
        body["schema"] = dict(ERROR_REF)
    if "examples" in standard and "example" not in body and "examples" not in body and _is_ours(body["schema"]):
        body["examples"] = standard["examples"]
    if status == 503 and not _is_ours(body["schema"]):
        return  # not the outage handler's answer (/readyz's `Readiness`): no Retry-After
    for name, header in standard.get("headers", {}).items():
        response.setdefault("headers", {}).setdefault(name, header)


def _is_ours(schema: dict[str, Any]) -> bool:
    return schema == ERROR_REF or ERROR_REF in schema.get("anyOf", [])


def _phrase(status: int | None) -> str:
    try:
        return HTTPStatus(status).phrase if status else "Response"
    except ValueError:
        return f"HTTP {status}"
