"""Open311 GeoReport v2 routes at /open311/v2/ (`discovery`, `services`, `services/{code}`, `requests` GET and POST,
`requests/{id}`, each as `.json` or `.xml`) and the admin's api keys at /admin/open311/keys."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MultiDict

from libs.auth import Principal, require
from libs.directory import get_directory
from libs.runtime import RuntimeDep
from libs.settings import get_settings
from libs.statemachine import DomainError
from services.intake import open311_keys
from services.intake.channels.open311.formats import (
    SPECIFICATION,
    GeoReportError,
    _bad,
    _one,
    answer,
    check_format,
    from_domain_error,
    georeport_errors,
    render,
    render_errors,
)
from services.intake.channels.open311.posting import _post
from services.intake.channels.open311.records import (
    _category,
    _changeset,
    attributes,
    keywords_by_category,
    public_request,
    search_requests,
    service,
)
from services.intake.models import IntakeTicket
from services.intake.open311_keys import Open311KeyCreate, Open311KeyIssued, Open311KeyPublic

router = APIRouter(prefix="/open311/v2", tags=["open311"], responses=georeport_errors(400, 404))
admin_router = APIRouter(prefix="/admin/open311", tags=["open311"])


# --------------------------------------------------------------------------- routes

@router.get("/discovery.{fmt}", summary="Service discovery (endpoints, formats, how to get an api_key)")
def discovery(fmt: str, request: Request) -> Response:
    def build() -> tuple[str, Any]:
        changeset = _changeset()
        district = get_directory().district
        return "discovery", {
            "changeset": changeset,
            "contact": f"{district.name} 吹哨受理平台（Whistle intake）",
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
    responses=georeport_errors(403, 429),
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
