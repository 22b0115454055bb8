"""分类建议 over HTTP: any signed-in filer asks which category a text belongs to; admins read and publish the rules."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from libs.auth import ROLES, Principal, require
from libs.runtime import RuntimeDep
from libs.runtime.documents import add_versioned_document_routes
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


add_versioned_document_routes(
    router, "/admin/category-rules", Admin, CategoryRulesPublic, category_rules.current_rules, category_rules.publish_rules,
    names=("get_rules", "put_rules"),
    summaries=(
        "The current category keyword rules (latest published, else config/category_keywords.yaml)",
        "Publish the next rules version (version = current + 1); filings from now on use it",
    ),
    body_description="The whole rules document",
    example=RULES_EXAMPLE,
)
