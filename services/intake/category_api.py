"""分类建议 over HTTP: any signed-in filer asks which category a text belongs to; admins read and publish the rules."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from libs.auth import ROLES, Principal, require
from libs.runtime import RuntimeDep
from services.intake import category_rules
from services.intake.models import CategoryRulesPublic, SuggestRequest, SuggestResponse

router = APIRouter(tags=["categories"])

# Whoever files: residents, grid workers, staff, hotline operators (once that role exists), admins.
FILERS = tuple(r for r in ("resident", "grid_worker", "community_staff", "operator", "admin") if r in ROLES)
Filer = Annotated[Principal, Depends(require(*FILERS))]
Admin = Annotated[Principal, Depends(require("admin"))]

RULES_EXAMPLE: dict[str, Any] = {
    "version": 2,
    "fallback": "other",
    "categories": {"road": {"井盖": 3, "路面": 3, "塌陷": 3}, "noise": {"噪音": 3, "广场舞": 3}},
}


@router.post(
    "/categories/suggest",
    response_model=SuggestResponse,
    summary="分类建议: categories for a text, best first, with the words that matched",
)
def suggest(body: SuggestRequest, _principal: Filer, runtime: RuntimeDep) -> SuggestResponse:
    return runtime.read(category_rules.suggest, title=body.title, description=body.description)


@router.get(
    "/admin/category-rules",
    response_model=CategoryRulesPublic,
    summary="The current category keyword rules (latest published, else config/category_keywords.yaml)",
)
def get_rules(_principal: Admin, runtime: RuntimeDep) -> CategoryRulesPublic:
    return runtime.read(category_rules.current_rules)


@router.put(
    "/admin/category-rules",
    response_model=CategoryRulesPublic,
    summary="Publish the next rules version (version = current + 1); filings from now on use it",
    responses={409: {"description": "version is not current + 1"}, 422: {"description": "the document names a bad key"}},
)
def put_rules(
    principal: Admin,
    runtime: RuntimeDep,
    document: Annotated[dict[str, Any], Body(description="The whole rules document", examples=[RULES_EXAMPLE])],
) -> CategoryRulesPublic:
    return runtime.run(category_rules.publish_rules, principal=principal, document=document)
