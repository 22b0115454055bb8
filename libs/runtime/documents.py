"""GET and PUT of an admin document published in versions (`libs.versioned`): dispatch's /admin/sla-policy,
intake's /admin/category-rules.

No `from __future__ import annotations` here: FastAPI must see the real types of the closures' parameters."""
from typing import Annotated, Any

from fastapi import APIRouter, Body

from libs.runtime.app import RuntimeDep

PUBLISH_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "version is not current + 1"}, 422: {"description": "the document names a bad key"},
}


def add_versioned_document_routes(
    router: APIRouter,
    path: str,
    admin: Any,
    public_model: type,
    current: Any,
    publish: Any,
    *,
    names: tuple[str, str],
    summaries: tuple[str, str],
    body_description: str,
    example: dict[str, Any],
) -> None:
    """`path` on `router` for the principals `admin` (a `require(...)` dependency): GET answered by
    `current(session)`, PUT (the whole document as the body) by `publish(session, principal=, document=)`, both shaped
    as `public_model`; `names`: the operation ids' stems."""

    def read_current(_principal: admin, runtime: RuntimeDep) -> Any:
        return runtime.read(current)

    def publish_next(
        principal: admin,
        runtime: RuntimeDep,
        document: Annotated[dict[str, Any], Body(description=body_description, examples=[example])],
    ) -> Any:
        return runtime.run(publish, principal=principal, document=document)

    (get_name, put_name), (get_summary, put_summary) = names, summaries
    router.add_api_route(path, read_current, methods=["GET"], response_model=public_model, summary=get_summary, name=get_name)
    router.add_api_route(
        path, publish_next, methods=["PUT"], response_model=public_model, summary=put_summary, name=put_name,
        responses=PUBLISH_RESPONSES,
    )
